import { NestFactory } from '@nestjs/core';
import { KafkaOptions, Transport } from '@nestjs/microservices';
import { AppModule } from './app.module';

async function bootstrap(): Promise<void> {
  const app = await NestFactory.createMicroservice<KafkaOptions>(AppModule, {
    transport: Transport.KAFKA,
    options: {
      client: { clientId: 'inventory', brokers: [process.env.KAFKA_BROKER ?? 'localhost:9092'] },
      consumer: { groupId: 'inventory-consumer' },
    },
  });
  await app.listen();
}
bootstrap().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
