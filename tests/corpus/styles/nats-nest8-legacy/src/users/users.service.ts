import { Inject, Injectable } from '@nestjs/common';
import { ClientProxy } from '@nestjs/microservices';
import { UserEvents } from './users.constants';

export class User {
  id: number;
  name: string;
  email: string;
}

@Injectable()
export class UsersService {
  private users: User[] = [];

  constructor(@Inject('NATS_SERVICE') private client: ClientProxy) {}

  create(data) {
    const user = { id: this.users.length + 1, ...data };
    this.users.push(user);
    return user;
  }

  find(id: number) {
    return this.users.find((u) => u.id === id);
  }

  remove(id: number) {
    this.users = this.users.filter((u) => u.id !== id);
    this.client.emit(UserEvents.DELETED, { id });
  }
}
