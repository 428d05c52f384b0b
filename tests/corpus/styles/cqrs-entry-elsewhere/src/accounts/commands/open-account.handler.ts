import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { AccountStore } from '../account.store';
import { OpenAccountCommand } from './open-account.command';

@CommandHandler(OpenAccountCommand)
export class OpenAccountHandler implements ICommandHandler<OpenAccountCommand, string> {
  constructor(private readonly store: AccountStore) {}

  async execute(command: OpenAccountCommand): Promise<string> {
    return this.store.open(command.owner, command.initialDeposit);
  }
}
