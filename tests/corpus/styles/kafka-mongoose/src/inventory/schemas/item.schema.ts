import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';
import { HydratedDocument } from 'mongoose';

export type ItemDocument = HydratedDocument<Item>;

@Schema({ timestamps: true })
export class Item {
  @Prop({ required: true, unique: true })
  sku!: string;

  @Prop({ required: true, min: 0 })
  stock!: number;
}

export const ItemSchema = SchemaFactory.createForClass(Item);
