export class OpenAccountCommand {
  constructor(
    public readonly owner: string,
    public readonly initialDeposit: number,
  ) {}
}
