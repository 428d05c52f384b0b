import { Controller } from '@nestjs/common';
import { Ctx, EventPattern, MessagePattern, Payload, RedisContext } from '@nestjs/microservices';
import { HEALTH, NOTIFICATION_PATTERNS, NotificationEvents } from '../common/patterns';
import { EmailMessage, NotificationsService } from './notifications.service';

@Controller()
export class NotificationsController {
  constructor(private readonly notifications: NotificationsService) {}

  @MessagePattern(NOTIFICATION_PATTERNS.SEND_EMAIL)
  sendEmail(@Payload() message: EmailMessage, @Ctx() context: RedisContext) {
    void context.getChannel();
    return this.notifications.email(message);
  }

  @MessagePattern(NOTIFICATION_PATTERNS.SEND_SMS)
  sendSms(@Payload() data: { to: string; text: string }) {
    return this.notifications.sms(data.to, data.text);
  }

  @EventPattern(NotificationEvents.USER_REGISTERED)
  welcome(@Payload() user: { email: string }) {
    this.notifications.email({ to: user.email, subject: 'Welcome', body: 'Hello!' });
  }

  @EventPattern(NotificationEvents.ORDER_SHIPPED)
  shipped(@Payload() order: { email: string; id: string }) {
    this.notifications.email({ to: order.email, subject: 'Shipped', body: order.id });
  }

  @MessagePattern(HEALTH)
  health() {
    return { status: 'ok', sent: this.notifications.count() };
  }
}
