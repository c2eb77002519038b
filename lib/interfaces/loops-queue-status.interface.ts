/** What the background queue holds at one moment: `LoopsEventsService.queueStatus()`. */
export interface LoopsQueueStatus {
  /** The module's in-memory queue, its BullMQ queue, or a queue of the app's own (`LoopsBackgroundDelivery`). */
  queue: 'memory' | 'bullmq' | 'custom';
  /** Events waiting for a worker: in memory, those not started yet; with BullMQ, the jobs waiting in Redis. */
  waiting: number;
  /** Being delivered now (in memory, retry backoffs included; with BullMQ, by any instance). */
  active: number;
  /** BullMQ: jobs waiting out a retry backoff or the rate limit. Always 0 in memory, where a retry waits while active. */
  delayed: number;
  /** BullMQ: jobs in the failed set, kept as `delivery.retention.failed` says. Always 0 in memory, which keeps none. */
  failed: number;
  /** How long ago the oldest waiting event was enqueued, in ms; 0 when none waits. */
  oldestWaitingMs: number;
}
