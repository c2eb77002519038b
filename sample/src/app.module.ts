import { Module, ValidationPipe } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { APP_PIPE } from '@nestjs/core';
import { LoopsModule, type LoopsVerifyMode } from 'nestjs-loops';
import { AccountsModule } from './accounts/accounts.module';
import { catalog } from './loops.catalog';

/** Exported so that tests can swap it for `LoopsTestingModule` (`overrideModule` matches it by reference). */
export const loopsModule = LoopsModule.forRootAsync({
  inject: [ConfigService],
  useFactory: (config: ConfigService) => {
    // The webhook route is mounted only when the secret from Loops' webhook settings is set.
    const webhookSecret = config.get<string>('LOOPS_WEBHOOK_SECRET');
    return {
      apiKey: config.getOrThrow<string>('LOOPS_API_KEY'),
      // An empty `LOOPS_BASE_URL=` line in .env means Loops itself.
      baseUrl: config.get<string>('LOOPS_BASE_URL') || undefined,
      // Every event is checked against it before it is sent; the code is checked against it when it compiles.
      catalog,
      // LOOPS_VERIFY=warn (or error) checks the key and the catalog against the Loops account at start-up.
      verify: config.get<LoopsVerifyMode>('LOOPS_VERIFY') || 'off',
      webhooks: webhookSecret ? { secret: webhookSecret } : undefined,
    };
  },
});

@Module({
  imports: [ConfigModule.forRoot({ isGlobal: true }), loopsModule, AccountsModule],
  providers: [
    // Here rather than in main.ts, so that the tests boot the app with the same validation.
    {
      provide: APP_PIPE,
      useValue: new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true, transform: true }),
    },
  ],
})
export class AppModule {}
