import { IsEmail, IsIn, IsNotEmpty, IsString, MaxLength } from 'class-validator';
import { type Plan, PLANS } from '../plan';

export class CreateAccountDto {
  @IsEmail()
  email!: string;

  @IsString()
  @IsNotEmpty()
  @MaxLength(100)
  firstName!: string;

  @IsIn(PLANS)
  plan!: Plan;
}
