import { Provider } from '@nestjs/common';
import { LoopsWebhookExplorer } from './loops-webhook-explorer';
import { LoopsWebhookRoute } from './loops-webhook-route';

/** What `LoopsModule` (and `LoopsTestingModule`) add for webhooks; they need `DiscoveryModule` imported. */
export const LOOPS_WEBHOOK_PROVIDERS: Provider[] = [LoopsWebhookExplorer, LoopsWebhookRoute];
