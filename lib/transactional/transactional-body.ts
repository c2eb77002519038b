import type { SendTransactionalInput } from '../dto/send-transactional.dto';

/**
 * The JSON text of `POST /v1/transactional` for a validated input: the official SDK's keys in its order, absent
 * fields left out, so that both send the same bytes.
 */
export function buildTransactionalBody(input: SendTransactionalInput): string {
  return JSON.stringify({
    transactionalId: input.transactionalId,
    email: input.email,
    addToAudience: input.addToAudience,
    dataVariables: input.dataVariables,
    attachments: input.attachments,
  });
}

/** The input a body stands for: what an app needs to send it again. */
export function readTransactionalBody(text: string): SendTransactionalInput {
  return JSON.parse(text) as SendTransactionalInput;
}
