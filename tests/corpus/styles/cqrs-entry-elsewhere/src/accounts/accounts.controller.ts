import { Controller } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { OpenAccountCommand } from './commands/open-account.command';
import { OPEN_ACCOUNT, createPattern } from './patterns';
import { GetBalanceQuery } from './queries/get-balance.query';

interface OpenAccountRequest {
  owner: string;
  deposit: number;
}

@Controller()
export class AccountsController {
  constructor(
    private readonly commands: CommandBus,
    private readonly queries: QueryBus,
  ) {}

  @MessagePattern(OPEN_ACCOUNT)
  open(@Payload() request: OpenAccountRequest): Promise<string> {
    return this.commands.execute(new OpenAccountCommand(request.owner, request.deposit));
  }

  @MessagePattern(createPattern('balance'))
  balance(@Payload() accountId: string): Promise<number> {
    return this.queries.execute(new GetBalanceQuery(accountId));
  }
}
