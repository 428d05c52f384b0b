export * from './patterns';
export * from './invoice.dto';
