import { Injectable } from '@nestjs/common';
import { LoopsError } from '../errors/loops.error';
import { LoopsTransport, LoopsTransportRequest, LoopsTransportResponse } from '../transport/loops-transport';
import { LoopsTestRecorder } from './loops-test-recorder';

const RATE_LIMIT_HEADERS = { 'x-ratelimit-limit': '10', 'x-ratelimit-remaining': '9' };

/**
 * Answers like Loops without leaving the process: 200 for a new event, 409 for a reused idempotency key,
 * or the failure scripted on the recorder. The body is recorded as its JSON text would arrive.
 */
@Injectable()
export class InMemoryLoopsTransport extends LoopsTransport {
  constructor(private readonly recorder: LoopsTestRecorder) {
    super();
  }

  async send(request: LoopsTransportRequest): Promise<LoopsTransportResponse> {
    const failure = this.recorder.takeFailure();
    if (failure instanceof LoopsError) throw failure;
    // Only the headers the test scripted: a made-up limit would show up in LoopsRateLimitError.
    if (failure) return { status: failure.status, headers: { ...failure.headers }, body: failure.body };
    const idempotencyKey = request.headers['Idempotency-Key'];
    if (this.recorder.hasKey(idempotencyKey)) {
      return {
        status: 409,
        headers: RATE_LIMIT_HEADERS,
        body: { success: false, message: 'Idempotency key already used' },
      };
    }
    const body = JSON.parse(request.body ?? '{}') as Record<string, unknown>;
    this.recorder.record({ eventName: String(body.eventName), body, idempotencyKey, headers: { ...request.headers } });
    return { status: 200, headers: RATE_LIMIT_HEADERS, body: { success: true } };
  }
}
