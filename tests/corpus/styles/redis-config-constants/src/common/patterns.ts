export const SERVICE = 'notifications';

export const NOTIFICATION_PATTERNS = {
  SEND_EMAIL: `${SERVICE}.email.send`,
  SEND_SMS: `${SERVICE}.sms.send`,
} as const;

export enum NotificationEvents {
  USER_REGISTERED = 'user.registered',
  ORDER_SHIPPED = 'order.shipped',
}

export const HEALTH = SERVICE + '.health';
