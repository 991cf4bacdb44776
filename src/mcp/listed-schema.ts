// The JSON Schemas tools/list shows: converted from the tools' zod once, inputs held to the subset every client reads.
import { z } from 'zod';

/**
 * The keywords both Gemini function declarations and the OpenAPI 3.0 schema object accept
 * (clients such as Gemini CLI, opencode, promptfoo and Cherry Studio cut schemas down to this);
 * anything else is dropped or refused somewhere, so an input schema uses nothing else.
 */
export const PORTABLE_KEYWORDS: ReadonlySet<string> = new Set([
  'type', 'properties', 'required', 'items', 'enum', 'description', 'minimum', 'maximum', 'minLength', 'maxLength',
  'minItems', 'maxItems', 'pattern', 'format', 'anyOf', 'default', 'title', 'additionalProperties',
]);

/** OpenAPI 3.0 has no "null" type (it says `nullable`), and Gemini follows it. */
const PORTABLE_TYPES: ReadonlySet<string> = new Set(['object', 'array', 'string', 'number', 'integer', 'boolean']);

export type JsonSchema = Record<string, unknown>;

const isObject = (v: unknown): v is JsonSchema => v !== null && typeof v === 'object' && !Array.isArray(v);
/** A JSON Pointer (RFC 6901) in URI-fragment form: `#` is the schema itself. */
const at = (pointer: string, ...keys: Array<string | number>): string =>
  keys.reduce<string>((p, k) => `${p}/${String(k).replace(/~/g, '~0').replace(/\//g, '~1')}`, pointer);

/**
 * Every construct in `schema` outside the portable subset, each as "<JSON pointer>: <what>".
 * The root (an input schema) may be `{"type": "object"}` with no `properties` key at all: that is
 * how an argument-less tool is declared to Gemini, which refuses `properties: {}`.
 */
export function portabilityProblems(schema: unknown, pointer = '#'): string[] {
  const problems: string[] = [];
  const walk = (node: unknown, where: string, root: boolean): void => {
    const say = (what: string): void => void problems.push(`${where}: ${what}`);
    if (!isObject(node)) return say(`a schema must be an object, not ${JSON.stringify(node)}`);
    if (Object.keys(node).length === 0) return say('empty schema (accepts anything, typed as nothing)');
    for (const key of Object.keys(node)) if (!PORTABLE_KEYWORDS.has(key)) say(`${key} is outside the portable subset`);
    const { type, properties, required, items, anyOf, additionalProperties, enum: values } = node;
    if (anyOf !== undefined) {
      if (!Array.isArray(anyOf) || anyOf.length === 0) say('anyOf must be a non-empty list of schemas');
      else anyOf.forEach((branch, i) => walk(branch, at(where, 'anyOf', i), false));
    } else if (type === undefined) say('no type');
    if (Array.isArray(type)) say(`type arrays are not portable (${JSON.stringify(type)})`);
    else if (type !== undefined && (typeof type !== 'string' || !PORTABLE_TYPES.has(type))) say(`type ${JSON.stringify(type)} is not portable`);
    if (additionalProperties !== undefined && typeof additionalProperties !== 'boolean') say('additionalProperties must be true or false');
    if (values !== undefined && (!Array.isArray(values) || values.length === 0 || values.some((v) => typeof v !== 'string') || type !== 'string')) {
      say('enum must be a non-empty list of strings on a string');
    }
    if (type === 'object') {
      if (properties === undefined) {
        if (!root) say('an object without properties (a model cannot see its fields)');
      } else if (!isObject(properties) || Object.keys(properties).length === 0) say('properties must name at least one property');
      else for (const [name, sub] of Object.entries(properties)) walk(sub, at(where, 'properties', name), false);
      if (required !== undefined && (!Array.isArray(required) || required.some((r) => typeof r !== 'string' || !isObject(properties) || !Object.hasOwn(properties, r)))) {
        say('required must list properties the object has');
      }
    } else {
      for (const key of ['properties', 'required', 'additionalProperties'] as const) if (node[key] !== undefined) say(`${key} on a ${String(type)}`);
    }
    if (type === 'array') {
      if (items === undefined) say('an array without items (a model cannot see what goes in it)');
      else walk(items, at(where, 'items'), false);
    } else if (items !== undefined) say(`items on a ${String(type)}`);
  };
  walk(schema, pointer, true);
  return problems;
}

/**
 * Drops what says only what JSON Schema assumes anyway, paid by every user on every turn:
 * the `$schema` URL, `additionalProperties: {}`, `properties: {}` and `propertyNames: {type: "string"}`.
 */
function withoutDefaults(schema: JsonSchema, top = false): JsonSchema {
  const out: JsonSchema = {};
  for (const [key, value] of Object.entries(schema)) {
    if (top && key === '$schema') continue;
    if ((key === 'additionalProperties' || key === 'properties') && isObject(value) && Object.keys(value).length === 0) continue;
    if (key === 'propertyNames' && JSON.stringify(value) === '{"type":"string"}') continue;
    if (key === 'properties' && isObject(value)) {
      out[key] = Object.fromEntries(Object.entries(value).map(([k, v]) => [k, isObject(v) ? withoutDefaults(v) : v]));
    } else if ((key === 'items' || key === 'additionalProperties') && isObject(value)) out[key] = withoutDefaults(value);
    else if (key === 'anyOf' && Array.isArray(value)) out[key] = value.map((v: unknown) => (isObject(v) ? withoutDefaults(v) : v));
    else out[key] = value;
  }
  return out;
}

const convert = (schema: z.ZodType, io: 'input' | 'output'): JsonSchema =>
  // draft-7, as the SDK converts; the listed form carries no $schema, so a client reads it as its default dialect.
  withoutDefaults(z.toJSONSchema(schema, { io, target: 'draft-7', unrepresentable: 'throw' }) as JsonSchema, true);

/**
 * A tool's input schema as listed: what its zod shows (each schema file gives ids their listed
 * type with .meta(), the handler still parses both forms), and never a construct outside the
 * portable subset: such a schema is a bug in a tool file, so listing it fails loudly.
 */
export function listedInput(tool: string, schema: z.ZodType): JsonSchema {
  const listed = convert(schema, 'input');
  const problems = portabilityProblems(listed);
  if (problems.length > 0) throw new Error(`${tool}: input schema outside the portable subset: ${problems.join('; ')}`);
  return listed;
}

/** A tool's output schema as listed: full JSON Schema (clients validate results with it; no model reads it). */
export const listedOutput = (schema: z.ZodType): JsonSchema => convert(schema, 'output');
