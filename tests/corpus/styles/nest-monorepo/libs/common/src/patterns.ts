export const BILLING = {
  CREATE_INVOICE: 'billing.invoice.create',
  HEALTH: 'billing.health',
} as const;

export const MAILER_PATTERNS = { SEND: 'mailer.send' } as const;

export const INVOICE_CREATED = 'billing.invoice.created';
