import { MAILER_PATTERNS } from '@app/common/patterns';
import { Controller } from '@nestjs/common';
import { EventPattern, MessagePattern, Payload } from '@nestjs/microservices';

@Controller()
export class MailerController {
  private readonly outbox: { to: string; subject: string }[] = [];

  @MessagePattern(MAILER_PATTERNS.SEND)
  send(@Payload() mail: { to: string; subject: string }) {
    this.outbox.push(mail);
    return { sent: true };
  }

  @EventPattern('billing.invoice.created')
  invoiceCreated(@Payload() data: { id: string }) {
    this.outbox.push({ to: 'accounting@example.com', subject: data.id });
  }
}
