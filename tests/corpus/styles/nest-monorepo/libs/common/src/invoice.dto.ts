import { IsEmail, IsNumber, Min } from 'class-validator';

export class CreateInvoiceDto {
  @IsEmail()
  email: string;

  @IsNumber()
  @Min(0)
  amount: number;
}
