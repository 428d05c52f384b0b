import { Module } from '@nestjs/common';
import { CqrsModule } from '@nestjs/cqrs';
import { AccountStore } from './account.store';
import { AccountsController } from './accounts.controller';
import { OpenAccountHandler } from './commands/open-account.handler';
import { GetBalanceHandler } from './queries/get-balance.handler';

@Module({
  imports: [CqrsModule],
  controllers: [AccountsController],
  providers: [AccountStore, OpenAccountHandler, GetBalanceHandler],
})
export class AccountsModule {}
