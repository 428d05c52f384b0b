import { IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { AccountStore } from '../account.store';
import { GetBalanceQuery } from './get-balance.query';

@QueryHandler(GetBalanceQuery)
export class GetBalanceHandler implements IQueryHandler<GetBalanceQuery, number> {
  constructor(private readonly store: AccountStore) {}

  async execute(query: GetBalanceQuery): Promise<number> {
    return this.store.balance(query.accountId);
  }
}
