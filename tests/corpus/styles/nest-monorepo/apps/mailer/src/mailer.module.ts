import { Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { MailerController } from './mailer.controller';

@Module({ imports: [ConfigModule.forRoot()], controllers: [MailerController] })
export class MailerModule {}
