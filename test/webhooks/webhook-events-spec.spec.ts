import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LOOPS_OPENAPI_PATH } from '../support/loops-openapi';
import * as ts from 'typescript';
import { parse } from 'yaml';
import { LOOPS_WEBHOOK_EVENT_NAMES } from '../../lib';
import { buildLoopsWebhookPayload } from '../../lib/testing';

// Loops' spec, kept with the tests.
const SPEC_PATH = LOOPS_OPENAPI_PATH;
if (!existsSync(SPEC_PATH)) throw new Error(`Loops' OpenAPI spec is expected at ${SPEC_PATH}`);
const EVENTS_FILE = join(__dirname, '../../lib/webhooks/loops-webhook-events.ts');

interface Schema {
  $ref?: string;
  allOf?: Schema[];
  type?: string | string[];
  required?: string[];
  properties?: Record<string, Schema>;
  items?: Schema;
  const?: unknown;
  enum?: unknown[];
  oneOf?: Schema[];
  anyOf?: Schema[];
}

/**
 * What is compared on both sides: every field with the kinds of value it takes (string, number, boolean, object,
 * array, null), which are required, which nullable, fixed values, and the same of nested objects.
 */
interface Shape {
  kinds: Record<string, string[]>;
  required: string[];
  nullable: string[];
  values: Record<string, string[]>;
  nested: Record<string, Shape>;
}

const spec = parse(readFileSync(SPEC_PATH, 'utf8')) as {
  webhooks: Record<string, { post: { requestBody: { content: { 'application/json': { schema: Schema } } } } }>;
  components: { schemas: Record<string, Schema> };
};

function resolveRef(schema: Schema): Schema {
  return schema.$ref ? resolveRef(spec.components.schemas[schema.$ref.split('/').pop() as string]) : schema;
}

/** An `allOf` folded into one object schema. */
function flatten(schema: Schema): Schema {
  const resolved = resolveRef(schema);
  if (!resolved.allOf) return resolved;
  const parts = resolved.allOf.map(flatten);
  return {
    type: 'object',
    required: [...new Set(parts.flatMap((part) => part.required ?? []))],
    properties: Object.assign({}, ...parts.map((part) => part.properties ?? {})),
  };
}

/** The kinds of value a schema allows; a fixed value's kind when it gives no type. */
function specKinds(raw: Schema): string[] {
  const schema = resolveRef(raw);
  const alternatives = schema.oneOf ?? schema.anyOf;
  if (alternatives) return [...new Set(alternatives.flatMap(specKinds))].sort();
  if (schema.allOf || schema.properties) return ['object'];
  const types = [schema.type ?? []].flat().map((type) => (type === 'integer' ? 'number' : type));
  const fixed = schema.const !== undefined ? [schema.const] : (schema.enum ?? []);
  const kinds = types.length > 0 ? types : fixed.map((value) => (value === null ? 'null' : typeof value));
  return [...new Set(kinds)].sort();
}

function specShape(schema: Schema): Shape {
  const object = flatten(schema);
  const shape: Shape = {
    kinds: {},
    required: [...(object.required ?? [])].sort(),
    nullable: [],
    values: {},
    nested: {},
  };
  for (const [name, raw] of Object.entries(object.properties ?? {})) {
    const property = resolveRef(raw);
    shape.kinds[name] = specKinds(raw);
    const types = [property.type ?? []].flat();
    if (types.includes('null')) shape.nullable.push(name);
    const fixed = property.const !== undefined ? [property.const] : property.enum;
    if (fixed)
      shape.values[name] = fixed
        .filter((value) => value !== null)
        .map(String)
        .sort();
    const element = property.type === 'array' && property.items ? resolveRef(property.items) : property;
    if (raw.$ref || (property.type === 'array' && property.items?.$ref)) {
      if (element.properties) shape.nested[name] = specShape(element);
    }
  }
  shape.nullable.sort();
  return shape;
}

const program = ts.createProgram([EVENTS_FILE], {
  strict: true,
  target: ts.ScriptTarget.ES2022,
  lib: ['lib.es2022.d.ts'],
  types: [],
});
const checker = program.getTypeChecker();
const source = program.getSourceFile(EVENTS_FILE) as ts.SourceFile;

function tsType(name: string): ts.Type {
  const module = checker.getSymbolAtLocation(source) as ts.Symbol;
  const symbol = checker.getExportsOfModule(module).find((candidate) => candidate.name === name);
  if (!symbol) throw new Error(`${name} is not declared in ${EVENTS_FILE}`);
  return checker.getDeclaredTypeOfSymbol(symbol);
}

function literals(type: ts.Type): string[] {
  const members = type.isUnion() ? type.types : [type];
  return members.filter((member) => member.isStringLiteral()).map((member) => (member as ts.StringLiteralType).value);
}

function tsKinds(type: ts.Type): string[] {
  const kinds = (type.isUnion() ? type.types : [type]).flatMap((member): string[] => {
    if (member.flags & ts.TypeFlags.Undefined) return [];
    if (member.flags & ts.TypeFlags.Null) return ['null'];
    if (member.flags & ts.TypeFlags.StringLike) return ['string'];
    if (member.flags & ts.TypeFlags.NumberLike) return ['number'];
    if (member.flags & ts.TypeFlags.BooleanLike) return ['boolean'];
    if (checker.isArrayType(member)) return ['array'];
    if (member.flags & ts.TypeFlags.Object) return ['object'];
    return [checker.typeToString(member)];
  });
  return [...new Set(kinds)].sort();
}

function tsShape(type: ts.Type): Shape {
  const shape: Shape = { kinds: {}, required: [], nullable: [], values: {}, nested: {} };
  for (const property of checker.getPropertiesOfType(type)) {
    const name = property.name;
    const propertyType = checker.getTypeOfSymbol(property);
    shape.kinds[name] = tsKinds(propertyType);
    if (!(property.flags & ts.SymbolFlags.Optional)) shape.required.push(name);
    const members = propertyType.isUnion() ? propertyType.types : [propertyType];
    if (members.some((member) => member.flags & ts.TypeFlags.Null)) shape.nullable.push(name);
    const values = literals(propertyType);
    if (values.length > 0) shape.values[name] = values.sort();
    const element = checker.isArrayType(propertyType)
      ? checker.getTypeArguments(propertyType as ts.TypeReference)[0]
      : propertyType;
    const objectMember = (element.isUnion() ? element.types : [element]).find(
      (member) => member.flags & ts.TypeFlags.Object && checker.getPropertiesOfType(member).length > 0,
    );
    if (objectMember && !checker.isArrayType(objectMember)) shape.nested[name] = tsShape(objectMember);
  }
  shape.required.sort();
  shape.nullable.sort();
  return shape;
}

const specEvents = Object.values(spec.webhooks).map(({ post }) => {
  const schema = post.requestBody.content['application/json'].schema;
  return { eventName: String(flatten(schema).properties?.eventName.const), shape: specShape(schema) };
});

const tsEvents = new Map(
  (tsType('LoopsWebhookPayload') as ts.UnionType).types.map((member) => {
    const eventName = literals(checker.getTypeOfSymbol(checker.getPropertyOfType(member, 'eventName') as ts.Symbol));
    return [eventName[0], tsShape(member)];
  }),
);

describe("webhook payload types against Loops' OpenAPI spec", () => {
  it('knows exactly the event types of the spec (16 plus testing.testEvent), in its order', () => {
    expect(specEvents).toHaveLength(17);
    expect([...LOOPS_WEBHOOK_EVENT_NAMES]).toEqual(specEvents.map((event) => event.eventName));
    expect([...tsEvents.keys()].sort()).toEqual([...LOOPS_WEBHOOK_EVENT_NAMES].sort());
  });

  it.each(specEvents)(
    '$eventName: the same fields, kinds of value, required, nullable and fixed fields, at every depth',
    ({ eventName, shape }) => {
      expect(tsEvents.get(eventName)).toEqual(shape);
    },
  );

  it.each(specEvents)('$eventName: the sample payload has every field the spec requires', ({ eventName, shape }) => {
    const payload = buildLoopsWebhookPayload(eventName as (typeof LOOPS_WEBHOOK_EVENT_NAMES)[number]);
    expect(missingFields(payload, shape)).toEqual([]);
    expect(payload.eventName).toBe(eventName);
  });

  it('the comparison sees a difference: a field made optional, a nullable one not nullable, another kind, a new name', () => {
    const created = specEvents.find((event) => event.eventName === 'contact.created')?.shape as Shape;
    const altered = structuredClone(created);
    altered.nested.contact.required = altered.nested.contact.required.filter((name) => name !== 'optInStatus');
    expect(tsEvents.get('contact.created')).not.toEqual(altered);
    const unnulled = structuredClone(created);
    unnulled.nested.contactIdentity.nullable = [];
    expect(tsEvents.get('contact.created')).not.toEqual(unnulled);
    const retyped = structuredClone(created);
    retyped.kinds.eventTime = ['string'];
    expect(tsEvents.get('contact.created')).not.toEqual(retyped);
    const renamed = structuredClone(created);
    renamed.kinds.workflowId = renamed.kinds.eventTime;
    expect(tsEvents.get('contact.created')).not.toEqual(renamed);
  });
});

function missingFields(value: unknown, shape: Shape, path = ''): string[] {
  const object = value as Record<string, unknown>;
  return shape.required.flatMap((name) => {
    if (!(name in object)) return [`${path}${name}`];
    const nested = shape.nested[name];
    if (!nested) return [];
    const items = Array.isArray(object[name]) ? (object[name] as unknown[]) : [object[name]];
    return items.filter((item) => item !== null).flatMap((item) => missingFields(item, nested, `${path}${name}.`));
  });
}
