import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import { LoopsRateLimiter } from '../delivery/loops-rate-limiter';
import { LoopsAuthError } from '../errors/loops-auth.error';
import { LoopsConfigurationError } from '../errors/loops-configuration.error';
import { LoopsLog } from '../logging/loops-log';
import { LOOPS_RESOLVED_OPTIONS, type ResolvedLoopsOptions } from '../loops-options';
import { LoopsTransport } from '../transport/loops-transport';
import { compareCatalog } from './compare-catalog';
import { LoopsAccountReader } from './loops-account-reader';
import { readLoopsAccount } from './loops-account-snapshot';

/**
 * The `verify` option: at start-up, checks the API key and the catalog against the Loops account. Never
 * delays the boot beyond `verifyTimeoutMs`; a Loops that is slow or unreachable is logged, never fatal, since
 * it says nothing about the app's configuration.
 */
@Injectable()
export class LoopsCatalogVerifier implements OnModuleInit {
  constructor(
    @Inject(LOOPS_RESOLVED_OPTIONS) private readonly options: ResolvedLoopsOptions,
    private readonly transport: LoopsTransport,
    private readonly limiter: LoopsRateLimiter,
    private readonly log: LoopsLog,
  ) {}

  async onModuleInit(): Promise<void> {
    const { mode, timeoutMs } = this.options.verify;
    if (mode === 'off' || this.options.dryRun) return;
    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(), timeoutMs);
    let problems: string[];
    let teamName: string;
    try {
      ({ teamName, problems } = await this.check(deadline.signal));
    } catch (error) {
      if (error instanceof LoopsAuthError) {
        const rule = `was rejected by Loops (${error.status}) when checked at start-up`;
        if (mode === 'error') throw new LoopsConfigurationError('apiKey', rule);
        this.log.write('verifyProblem', `The Loops API key ${rule}; events will fail until it is fixed`);
        return;
      }
      const reason = deadline.signal.aborted ? `no answer within ${timeoutMs} ms` : (error as Error).message;
      this.log.write('verifyProblem', `Could not check the Loops account at start-up (${reason}); starting anyway`);
      return;
    } finally {
      clearTimeout(timer);
      deadline.abort();
    }
    if (problems.length === 0) {
      const what = this.options.catalog ? 'key and event catalog' : 'key';
      this.log.write('verified', `Loops ${what} checked against the account of team "${teamName}"`);
      return;
    }
    if (mode === 'error') {
      throw new LoopsConfigurationError(
        'catalog',
        `does not match the Loops account of team "${teamName}":\n${problems.map((line) => `  - ${line}`).join('\n')}`,
      );
    }
    for (const line of problems) this.log.write('verifyProblem', `Loops event catalog drift: ${line}`);
  }

  private async check(signal: AbortSignal): Promise<{ teamName: string; problems: string[] }> {
    const { apiKey, baseUrl, verify } = this.options;
    const reader = new LoopsAccountReader({
      baseUrl,
      apiKey,
      transport: this.transport,
      // The module's limiter: these reads count against the team's limit like every send.
      limiter: { limiter: this.limiter, log: this.log },
      timeoutMs: verify.timeoutMs,
      signal,
    });
    const catalog = this.options.catalog?.catalog;
    if (!catalog) return { teamName: await reader.teamName(), problems: [] };
    const account = await readLoopsAccount(reader, {
      propertiesOf: new Set(Object.keys(catalog.events)),
      contactProperties: catalog.contactProperties !== undefined,
      mailingLists: catalog.mailingLists !== undefined,
    });
    return { teamName: account.teamName, problems: compareCatalog(catalog, account).drift.map((item) => item.message) };
  }
}
