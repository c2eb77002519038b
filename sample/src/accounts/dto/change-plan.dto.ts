import { IsIn } from 'class-validator';
import { type Plan, PLANS } from '../plan';

export class ChangePlanDto {
  @IsIn(PLANS)
  plan!: Plan;
}
