import Ajv2020, { type ValidateFunction } from 'ajv/dist/2020';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';

/** Loops' official OpenAPI spec (1.21.6), kept with the tests so that a clean clone checks against it. */
export const LOOPS_OPENAPI_PATH = join(__dirname, 'openapi', 'loops-openapi-1.21.6.yaml');

const SPEC_ID = 'loops-openapi';

/**
 * The spec quotes `"null"` in the enums of nullable fields (`incomingWebhookPlatform`), which YAML reads as the
 * string "null", while the field's `type` and description say JSON null. Such an entry is read as null here, so
 * that the schema accepts what Loops answers; nothing else of the spec is changed.
 */
function nullInNullableEnums(node: unknown): void {
  if (typeof node !== 'object' || node === null) return;
  const schema = node as Record<string, unknown>;
  if (Array.isArray(schema.type) && schema.type.includes('null') && Array.isArray(schema.enum)) {
    schema.enum = schema.enum.map((value) => (value === 'null' ? null : value));
  }
  for (const child of Object.values(schema)) nullInNullableEnums(child);
}

let ajv: Ajv2020 | undefined;

function loadAjv(): Ajv2020 {
  if (ajv) return ajv;
  const spec = parse(readFileSync(LOOPS_OPENAPI_PATH, 'utf8')) as Record<string, unknown>;
  nullInNullableEnums(spec);
  // strict: false because the spec carries vendor keywords (x-mint) and OpenAPI ones (discriminator) beside JSON Schema.
  ajv = new Ajv2020({ strict: false, allErrors: true });
  ajv.addSchema(spec, SPEC_ID);
  return ajv;
}

const escapePointer = (segment: string): string => segment.replace(/~/g, '~0').replace(/\//g, '~1');

/**
 * A validator of the JSON body the spec documents for `method path` answering `status`, e.g.
 * `responseSchema('/v1/event-patterns', 'get', 200)`; its `errors` say what differs.
 */
export function responseSchema(path: string, method: string, status: number): ValidateFunction {
  const pointer = ['paths', path, method, 'responses', String(status), 'content', 'application/json', 'schema']
    .map(escapePointer)
    .join('/');
  return loadAjv().compile({ $ref: `${SPEC_ID}#/${pointer}` });
}

/** A validator of the spec's component schema `name`, e.g. `componentSchema('TransactionalFailure5Response')`. */
export function componentSchema(name: string): ValidateFunction {
  return loadAjv().compile({ $ref: `${SPEC_ID}#/components/schemas/${escapePointer(name)}` });
}

/** A validator of the JSON request body the spec documents for `method path`, e.g. `/v1/transactional`, `post`. */
export function requestSchema(path: string, method: string): ValidateFunction {
  const pointer = ['paths', path, method, 'requestBody', 'content', 'application/json', 'schema']
    .map(escapePointer)
    .join('/');
  return loadAjv().compile({ $ref: `${SPEC_ID}#/${pointer}` });
}
