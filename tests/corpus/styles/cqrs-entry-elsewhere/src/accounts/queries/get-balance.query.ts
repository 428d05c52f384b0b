export class GetBalanceQuery {
  constructor(public readonly accountId: string) {}
}
