import { BILLING, CreateInvoiceDto, INVOICE_CREATED, MAILER_PATTERNS } from '@app/common';
import { Controller, Inject } from '@nestjs/common';
import { ClientProxy, MessagePattern, Payload } from '@nestjs/microservices';
import { firstValueFrom } from 'rxjs';

@Controller()
export class BillingController {
  constructor(@Inject('MAILER') private readonly mailer: ClientProxy) {}

  @MessagePattern(BILLING.CREATE_INVOICE)
  async create(@Payload() dto: CreateInvoiceDto) {
    const id = `inv-${Date.now()}`;
    await firstValueFrom(this.mailer.send(MAILER_PATTERNS.SEND, { to: dto.email, subject: id }));
    this.mailer.emit(INVOICE_CREATED, { id, amount: dto.amount });
    return { id };
  }

  @MessagePattern(BILLING.HEALTH)
  health() {
    return { status: 'ok' };
  }
}
