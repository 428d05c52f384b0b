import { Injectable, NotFoundException } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { CreateOrderDto } from './dto/create-order.dto';
import { Order, OrderStatus } from './entities/order.entity';

@Injectable()
export class OrdersService {
  constructor(@InjectRepository(Order) private readonly orders: Repository<Order>) {}

  create(dto: CreateOrderDto): Promise<Order> {
    return this.orders.save(this.orders.create({ customerId: dto.customerId, total: dto.total }));
  }

  async findOne(id: string): Promise<Order> {
    const order = await this.orders.findOne({ where: { id } });
    if (!order) {
      throw new NotFoundException(`order ${id} not found`);
    }
    return order;
  }

  async markPaid(id: string): Promise<void> {
    await this.orders.update({ id }, { status: OrderStatus.Paid });
  }
}
