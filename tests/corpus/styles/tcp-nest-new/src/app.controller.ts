import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { AppService } from './app.service';

@Controller()
export class AppController {
  constructor(private readonly appService: AppService) {}

  @MessagePattern({ cmd: 'sum' })
  accumulate(@Payload() data: number[]): number {
    return this.appService.sum(data);
  }

  @MessagePattern({ role: 'math', cmd: 'max' })
  max(data) {
    return Math.max(...data);
  }

  @MessagePattern('ping')
  ping(): string {
    return 'pong';
  }
}
