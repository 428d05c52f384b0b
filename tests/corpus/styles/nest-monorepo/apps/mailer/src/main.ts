import { NestFactory } from '@nestjs/core';
import { Transport } from '@nestjs/microservices';
import { MailerModule } from './mailer.module';

async function bootstrap() {
  const app = await NestFactory.createMicroservice(MailerModule, {
    transport: Transport.TCP,
    options: { port: 4002 },
  });
  await app.listen();
}
bootstrap();
