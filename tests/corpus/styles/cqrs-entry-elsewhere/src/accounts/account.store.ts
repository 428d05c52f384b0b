import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';

@Injectable()
export class AccountStore {
  private readonly balances = new Map<string, number>();

  open(owner: string, deposit: number): string {
    const id = `${owner}-${randomUUID()}`;
    this.balances.set(id, deposit);
    return id;
  }

  balance(id: string): number {
    return this.balances.get(id) ?? 0;
  }
}
