import { Controller } from '@nestjs/common';
import { Ctx, EventPattern, KafkaContext, MessagePattern, Payload } from '@nestjs/microservices';
import { InventoryService, Reservation } from './inventory.service';
import { ORDER_TOPICS, Topics } from './topics';

@Controller()
export class InventoryController {
  constructor(private readonly inventory: InventoryService) {}

  @MessagePattern(Topics.RESERVE)
  reserve(@Payload() reservation: Reservation, @Ctx() context: KafkaContext) {
    void context.getTopic();
    return this.inventory.reserve(reservation);
  }

  @EventPattern(Topics.RELEASE)
  async release(@Payload() reservation: Reservation): Promise<void> {
    await this.inventory.release(reservation);
  }

  @EventPattern(ORDER_TOPICS.placed)
  async placed(@Payload() order: { items: Reservation[] }): Promise<void> {
    for (const item of order.items) {
      await this.inventory.reserve(item);
    }
  }
}
