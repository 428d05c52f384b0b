const PREFIX = 'accounts' as const;

export function createPattern<T extends string>(action: T): `${typeof PREFIX}.${T}` {
  return `${PREFIX}.${action}`;
}

export const OPEN_ACCOUNT = createPattern('open');
