export enum Topics {
  RESERVE = 'inventory.reserve',
  RELEASE = 'inventory.release',
  STOCK_CHANGED = 'inventory.stock-changed',
}

export const ORDER_TOPICS = {
  placed: 'orders.placed',
} as const;
