import { Inject, Injectable } from '@nestjs/common';
import { ClientKafka } from '@nestjs/microservices';
import { InjectModel } from '@nestjs/mongoose';
import { Model } from 'mongoose';
import { Item } from './schemas/item.schema';
import { Topics } from './topics';

export interface Reservation {
  sku: string;
  quantity: number;
}

@Injectable()
export class InventoryService {
  constructor(
    @InjectModel(Item.name) private readonly items: Model<Item>,
    @Inject('KAFKA_CLIENT') private readonly kafka: ClientKafka,
  ) {}

  async reserve(reservation: Reservation): Promise<{ reserved: boolean }> {
    const item = await this.items
      .findOneAndUpdate(
        { sku: reservation.sku, stock: { $gte: reservation.quantity } },
        { $inc: { stock: -reservation.quantity } },
        { new: true },
      )
      .exec();
    if (item) {
      this.kafka.emit(Topics.STOCK_CHANGED, { sku: item.sku, stock: item.stock });
    }
    return { reserved: item !== null };
  }

  async release(reservation: Reservation): Promise<void> {
    await this.items
      .updateOne({ sku: reservation.sku }, { $inc: { stock: reservation.quantity } })
      .exec();
  }
}
