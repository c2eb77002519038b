/**
 * Which typed error each documented refusal of `POST /v1/transactional` becomes: the five 400 forms of Loops' OpenAPI
 * spec and its 404, read by status and by the field the answer blames, never by other message text.
 */
import {
  LoopsApiError,
  LoopsAuthError,
  LoopsTransactionalDataVariablesError,
  LoopsTransactionalError,
  LoopsTransactionalNotFoundError,
} from '../lib';
import { toTransactionalRefusal } from '../lib/transactional/transactional-refusal';

const ID = 'cll42l54f20i1la0lfooe3z12';
const refusal = (status: number, body: unknown) => toTransactionalRefusal(new LoopsApiError({ status, body }), ID);

describe('toTransactionalRefusal', () => {
  it.each([
    [
      'TransactionalSendFailureResponse',
      { success: false, message: 'Missing required data variable(s): confirmationUrl' },
      undefined,
    ],
    [
      'TransactionalFailure2Response',
      { success: false, message: 'Missing required data variable(s): confirmationUrl', path: 'dataVariables' },
      'dataVariables',
    ],
    [
      'TransactionalFailure2Response, one variable blamed',
      {
        success: false,
        message: 'Missing required data variable(s): confirmationUrl',
        path: 'dataVariables.confirmationUrl',
      },
      'dataVariables.confirmationUrl',
    ],
    [
      'TransactionalFailure5Response',
      {
        success: false,
        message: 'Missing required data variable(s): confirmationUrl',
        error: { path: 'dataVariables', message: 'Missing required data variable(s): confirmationUrl' },
        transactionalId: ID,
      },
      'dataVariables',
    ],
  ])('a missing data variable in the %s form: LoopsTransactionalDataVariablesError listing it', (_form, body, path) => {
    const error = refusal(400, body) as LoopsTransactionalDataVariablesError;
    expect(error).toBeInstanceOf(LoopsTransactionalDataVariablesError);
    expect(error).toMatchObject({ status: 400, transactionalId: ID, path, missingDataVariables: ['confirmationUrl'] });
  });

  it('lists the missing data variables without the full stop that ends the sentence', () => {
    const error = refusal(400, {
      success: false,
      message: 'Missing required data variable(s): confirmationUrl, name.',
    }) as LoopsTransactionalDataVariablesError;
    expect(error).toBeInstanceOf(LoopsTransactionalDataVariablesError);
    expect(error.missingDataVariables).toEqual(['confirmationUrl', 'name']);
  });

  it('a dataVariables refusal whose message lists nothing keeps Loops words and says where to look', () => {
    const error = refusal(400, {
      success: false,
      message: 'Invalid data',
      error: { path: 'dataVariables', reason: 'x' },
    });
    expect(error).toBeInstanceOf(LoopsTransactionalDataVariablesError);
    expect((error as LoopsTransactionalDataVariablesError).missingDataVariables).toEqual([]);
    expect(error.message).toBe(
      `Loops refused transactional email "${ID}" (400): Invalid data; check dataVariables against the email's data variables in Loops`,
    );
  });

  it.each([
    [
      'TransactionalFailure3Response',
      { success: false, message: 'Not published', error: { path: 'transactionalId', message: 'Not published' } },
      'transactionalId',
    ],
    [
      'TransactionalFailure4Response',
      { success: false, message: 'No attachments', error: { path: 'attachments', reason: 'x' } },
      'attachments',
    ],
    ['TransactionalFailure2Response', { success: false, message: 'Bad email', path: 'email' }, 'email'],
    [
      'TransactionalFailure2Response, a field named like dataVariables',
      { success: false, message: 'Bad field', path: 'dataVariablesLegacy' },
      'dataVariablesLegacy',
    ],
    ['a body without path', { success: false, message: 'Something else' }, undefined],
  ])('another 400 in the %s form: LoopsTransactionalError with the field blamed', (_form, body, path) => {
    const error = refusal(400, body);
    expect(error.constructor).toBe(LoopsTransactionalError);
    expect(error).toMatchObject({ path, transactionalId: ID });
    expect(error.message).toContain(`(400${path ? `, ${path}` : ''}): ${body.message}`);
  });

  it('404, whatever its body: LoopsTransactionalNotFoundError', () => {
    expect(refusal(404, undefined)).toBeInstanceOf(LoopsTransactionalNotFoundError);
    expect(refusal(404, { message: 'Transactional email not found.' })).toBeInstanceOf(LoopsTransactionalNotFoundError);
  });

  it('other statuses and typed errors are left as they are', () => {
    const auth = new LoopsAuthError({ status: 401 });
    expect(toTransactionalRefusal(auth, ID)).toBe(auth);
    const tooLarge = new LoopsApiError({ status: 413 });
    expect(toTransactionalRefusal(tooLarge, ID)).toBe(tooLarge);
  });
});
