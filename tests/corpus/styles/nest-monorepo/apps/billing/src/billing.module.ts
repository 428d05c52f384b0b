import { Module } from '@nestjs/common';
import { ClientsModule, Transport } from '@nestjs/microservices';
import { BillingController } from './billing.controller';

@Module({
  imports: [
    ClientsModule.register([{ name: 'MAILER', transport: Transport.TCP, options: { port: 4002 } }]),
  ],
  controllers: [BillingController],
})
export class BillingModule {}
