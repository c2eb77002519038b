import { ConflictException, Injectable, NotFoundException } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { randomUUID } from 'node:crypto';
import type { Account } from './account';
import type { CreateAccountDto } from './dto/create-account.dto';
import type { EmailStatus } from './email-status';
import type { Plan } from './plan';
import { DAY_MS, readTrialDays } from './trial';

/** The accounts, kept in memory as a stand-in for the app's database. Hands out copies, as a database would. */
@Injectable()
export class AccountsService {
  private readonly accounts = new Map<string, Account>();
  private readonly trialDays: number;

  constructor(config: ConfigService) {
    this.trialDays = readTrialDays(config.get<string>('TRIAL_DAYS'));
  }

  create({ email, firstName, plan }: CreateAccountDto): Account {
    const taken = [...this.accounts.values()].some((account) => account.email.toLowerCase() === email.toLowerCase());
    if (taken) throw new ConflictException('An account with this email already exists');
    const now = new Date();
    const account: Account = {
      id: randomUUID(),
      email,
      firstName,
      plan,
      trialEndsAt: new Date(now.getTime() + this.trialDays * DAY_MS),
      emailStatus: 'subscribed',
      createdAt: now,
      updatedAt: now,
    };
    this.accounts.set(account.id, account);
    return { ...account };
  }

  changePlan(id: string, plan: Plan): Account {
    const account = this.get(id);
    if (account.plan === plan) throw new ConflictException(`The account is already on the ${plan} plan`);
    const changed: Account = { ...account, plan, updatedAt: new Date() };
    this.accounts.set(id, changed);
    return { ...changed };
  }

  findOne(id: string): Account {
    return this.get(id);
  }

  /**
   * Records what Loops reported for the contact: found by our id (sent to Loops as `userId` at sign-up), else
   * by email. Returns the account, or undefined when it is not (or no longer) ours.
   */
  markEmail(contact: { userId: string | null; email: string }, status: EmailStatus): Account | undefined {
    const account =
      (contact.userId ? this.accounts.get(contact.userId) : undefined) ??
      [...this.accounts.values()].find((candidate) => candidate.email.toLowerCase() === contact.email.toLowerCase());
    if (!account) return undefined;
    if (account.emailStatus === 'bounced') return { ...account };
    const marked: Account = { ...account, emailStatus: status, updatedAt: new Date() };
    this.accounts.set(account.id, marked);
    return { ...marked };
  }

  remove(id: string): Account {
    const account = this.get(id);
    this.accounts.delete(id);
    return account;
  }

  /** Accounts whose trial ends after `from` and no later than `to`. */
  findTrialsEndingBetween(from: Date, to: Date): Account[] {
    return [...this.accounts.values()]
      .filter((account) => account.trialEndsAt > from && account.trialEndsAt <= to)
      .map((account) => ({ ...account }));
  }

  private get(id: string): Account {
    const account = this.accounts.get(id);
    if (!account) throw new NotFoundException(`No account ${id}`);
    return { ...account };
  }
}
