import { Injectable, Logger } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';

export interface EmailMessage {
  to: string;
  subject: string;
  body: string;
}

@Injectable()
export class NotificationsService {
  private readonly logger = new Logger(NotificationsService.name);
  private readonly sent: EmailMessage[] = [];

  constructor(private readonly config: ConfigService) {}

  email(message: EmailMessage): { queued: boolean; from: string } {
    this.sent.push(message);
    return { queued: true, from: this.config.get<string>('mail.from') };
  }

  sms(to: string, text: string) {
    this.logger.log(`sms to ${to}: ${text}`);
    return { queued: true };
  }

  count(): number {
    return this.sent.length;
  }
}
