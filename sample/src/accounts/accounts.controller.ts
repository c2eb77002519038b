import { Body, Controller, Delete, Get, HttpCode, Param, ParseUUIDPipe, Patch, Post } from '@nestjs/common';
import { EmitLoopsEvent } from 'nestjs-loops';
import type { Account } from './account';
import { AccountsService } from './accounts.service';
import { ChangePlanDto } from './dto/change-plan.dto';
import { CreateAccountDto } from './dto/create-account.dto';
import { WelcomeEmailService } from './welcome-email.service';

@Controller('accounts')
export class AccountsController {
  constructor(
    private readonly accounts: AccountsService,
    private readonly welcome: WelcomeEmailService,
  ) {}

  @Post()
  @EmitLoopsEvent<Account>({
    eventName: 'signup',
    // Our id goes along with the email, so that Loops knows the contact by it too.
    contact: ({ result }) => ({ email: result.email, userId: result.id }),
    contactProperties: ({ result }) => ({ firstName: result.firstName, plan: result.plan }),
    eventProperties: ({ result }) => ({ plan: result.plan, trialEndsAt: result.trialEndsAt }),
  })
  signUp(@Body() body: CreateAccountDto): Account {
    const account = this.accounts.create(body);
    this.welcome.send(account);
    return account;
  }

  @Get(':id')
  findOne(@Param('id', ParseUUIDPipe) id: string): Account {
    return this.accounts.findOne(id);
  }

  @Patch(':id/plan')
  @EmitLoopsEvent<Account>({
    eventName: 'planChanged',
    contactProperties: ({ result }) => ({ plan: result.plan }),
    eventProperties: ({ result }) => ({ plan: result.plan }),
    // Names this change rather than this send: should it be emitted twice, Loops records it once.
    idempotencyKey: ({ result }) => `planChanged-${result.id}-${result.updatedAt.getTime()}`,
  })
  changePlan(@Param('id', ParseUUIDPipe) id: string, @Body() body: ChangePlanDto): Account {
    return this.accounts.changePlan(id, body.plan);
  }

  @Delete(':id')
  @HttpCode(204)
  @EmitLoopsEvent<Account>({
    eventName: 'accountDeleted',
    // Once the account is gone nothing here could send the event again, so the client waits until Loops has it.
    mode: 'await',
  })
  remove(@Param('id', ParseUUIDPipe) id: string): Account {
    // A 204 has no body: the deleted account is returned for @EmitLoopsEvent to find the contact in.
    return this.accounts.remove(id);
  }
}
