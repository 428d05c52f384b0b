import { Controller } from '@nestjs/common';
import { Ctx, MessagePattern, NatsContext, Payload } from '@nestjs/microservices';
import { CREATE_USER, FIND_USER, USERS } from './users.constants';
import { User, UsersService } from './users.service';

@Controller()
export class UsersController {
  constructor(private readonly usersService: UsersService) {}

  @MessagePattern(CREATE_USER)
  create(@Payload() data: Omit<User, 'id'>) {
    return this.usersService.create(data);
  }

  @MessagePattern(FIND_USER)
  find(@Payload() id: number, @Ctx() context: NatsContext) {
    console.log(`Subject: ${context.getSubject()}`);
    return this.usersService.find(id);
  }

  @MessagePattern(USERS + '.remove')
  remove(@Payload() id: number) {
    return this.usersService.remove(id);
  }
}
