import { Injectable } from '@nestjs/common';
import { LoopsError } from '../errors/loops.error';
import { LoopsTransport, LoopsTransportRequest, LoopsTransportResponse } from '../transport/loops-transport';
import type { InMemoryAnswer } from './in-memory-audience';
import { LoopsTestRecorder } from './loops-test-recorder';

const RATE_LIMIT_HEADERS = { 'x-ratelimit-limit': '10', 'x-ratelimit-remaining': '9' };

/**
 * Answers like Loops without leaving the process: 200 for a new event or transactional email, 409 for a reused
 * idempotency key, contact calls against the recorder's audience (which events and `addToAudience` change too), or
 * the failure scripted on the recorder. Every
 * request is recorded, bodies as their JSON text would arrive.
 */
@Injectable()
export class InMemoryLoopsTransport extends LoopsTransport {
  constructor(private readonly recorder: LoopsTestRecorder) {
    super();
  }

  async send(request: LoopsTransportRequest): Promise<LoopsTransportResponse> {
    const url = new URL(request.url);
    // Below the API's base URL, whatever it is: `/api/v1/events/send` -> `/events/send`.
    const path = url.pathname.replace(/^.*?\/v1(?=\/)/, '');
    const body = request.body === undefined ? undefined : (JSON.parse(request.body) as Record<string, unknown>);
    const call = {
      method: request.method,
      path,
      query: Object.fromEntries(url.searchParams),
      ...(body !== undefined && { body }),
      headers: { ...request.headers },
    };
    const failure = this.recorder.takeFailure();
    if (failure instanceof LoopsError) {
      this.recorder.recordCall(call);
      throw failure;
    }
    // Only the headers the test scripted: a made-up limit would show up in LoopsRateLimitError.
    const answer = failure
      ? { status: failure.status, headers: { ...failure.headers }, body: failure.body }
      : { ...this.answer(request, path, call.query, body ?? {}), headers: RATE_LIMIT_HEADERS };
    this.recorder.recordCall({ ...call, status: answer.status });
    return answer;
  }

  private answer(
    request: LoopsTransportRequest,
    path: string,
    query: Record<string, string>,
    body: Record<string, unknown>,
  ): InMemoryAnswer {
    const { audience } = this.recorder;
    const route = `${request.method} ${path}`;
    switch (route) {
      case 'POST /events/send':
      case 'POST /transactional':
        return this.accept(request, path, body);
      case 'GET /api-key':
        return { status: 200, body: { success: true, teamName: 'Loops testing' } };
      case 'POST /contacts/create':
        return audience.create(body);
      case 'PUT /contacts/update':
        return audience.update(body);
      case 'POST /contacts/delete':
        return audience.delete(body);
      case 'GET /contacts/find':
        return audience.findAnswer(query);
      default:
        return { status: 404, body: { success: false, message: `No route for ${route}` } };
    }
  }

  private accept(request: LoopsTransportRequest, path: string, body: Record<string, unknown>): InMemoryAnswer {
    const idempotencyKey = request.headers['Idempotency-Key'];
    if (this.recorder.hasKey(idempotencyKey)) {
      return { status: 409, body: { success: false, message: 'Idempotency key already used' } };
    }
    const headers = { ...request.headers };
    const { audience } = this.recorder;
    if (path === '/transactional') {
      const { transactionalId, email } = body as { transactionalId: string; email: string };
      if (body.addToAudience === true) audience.addRecipient(email);
      this.recorder.recordTransactional({ transactionalId, email, body, idempotencyKey, headers });
    } else {
      const refused = audience.applyEvent(body);
      if (refused) return refused;
      this.recorder.record({ eventName: String(body.eventName), body, idempotencyKey, headers });
    }
    return { status: 200, body: { success: true } };
  }
}
