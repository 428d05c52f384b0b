import { Body, Controller, Get, Param, Post } from '@nestjs/common';
import { Ctx, EventPattern, MessagePattern, Payload, RmqContext } from '@nestjs/microservices';
import { CreateOrderDto } from './dto/create-order.dto';
import { Order } from './entities/order.entity';
import { OrdersService } from './orders.service';

@Controller('orders')
export class OrdersController {
  constructor(private readonly orders: OrdersService) {}

  @Post()
  createHttp(@Body() dto: CreateOrderDto): Promise<Order> {
    return this.orders.create(dto);
  }

  @Get(':id')
  findHttp(@Param('id') id: string): Promise<Order> {
    return this.orders.findOne(id);
  }

  @MessagePattern('orders.create')
  create(@Payload() dto: CreateOrderDto): Promise<Order> {
    return this.orders.create(dto);
  }

  @MessagePattern('orders.findOne')
  findOne(@Payload() id: string): Promise<Order> {
    return this.orders.findOne(id);
  }

  @EventPattern('payments.succeeded')
  async paid(@Payload() data: { orderId: string }, @Ctx() context: RmqContext): Promise<void> {
    await this.orders.markPaid(data.orderId);
    const channel = context.getChannelRef();
    channel.ack(context.getMessage());
  }
}
