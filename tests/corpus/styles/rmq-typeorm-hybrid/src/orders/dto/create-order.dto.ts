import { Type } from 'class-transformer';
import { IsNumber, IsPositive, IsString, IsUUID, Min } from 'class-validator';

export class CreateOrderDto {
  @IsUUID()
  customerId: string;

  @Type(() => Number)
  @IsNumber()
  @IsPositive()
  @Min(0.01)
  total: number;

  @IsString()
  currency = 'EUR';
}
