// Every schema the built server lists: inputs inside the subset Gemini and OpenAPI 3.0 both read, and all of them valid JSON Schema (Ajv strict).
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { portabilityProblems } from '../../src/mcp/listed-schema.js';
import { BIN, cleanEnv } from '../support/binary.js';

type Listed = { name: string; inputSchema: unknown; outputSchema?: unknown };

let client: Client;
let tools: Listed[];
beforeAll(async () => {
  // Sandbox mode (no credentials) with an import folder, so import_users is listed too; auto confirmation adds confirm_token.
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [BIN],
    env: cleanEnv({ COUPONTOOLS_IMPORT_DIR: mkdtempSync(join(tmpdir(), 'ct-portable-')) }),
    stderr: 'pipe',
  });
  client = new Client({ name: 'portable-schemas-test', version: '1.0.0' });
  await client.connect(transport);
  // The list as sent, not as the SDK client's own schema would reshape it.
  const raw = await client.request({ method: 'tools/list' }, z.looseObject({ tools: z.array(z.looseObject({ name: z.string(), inputSchema: z.unknown(), outputSchema: z.unknown() })) }));
  tools = raw.tools as Listed[];
});
afterAll(() => client.close());

describe('listed input schemas', () => {
  it('stay inside the portable subset (every tool, with confirm_token, idempotency_key and import_users)', () => {
    expect(tools.map((t) => t.name)).toContain('import_users');
    const problems = tools.flatMap((t) => portabilityProblems(t.inputSchema).map((p) => `${t.name} ${p}`));
    expect(problems).toEqual([]);
  });
});

describe('the portability walker', () => {
  const ok = { type: 'object', properties: { a: { type: 'string' } } };
  const nested = (schema: unknown) => ({ type: 'object', properties: { a: schema } });
  const BAD: Array<[string, unknown, string]> = [
    ['patternProperties', nested({ type: 'object', patternProperties: { '^x$': { type: 'string' } } }), '#/properties/a: patternProperties is outside the portable subset'],
    ['$ref', nested({ $ref: '#/$defs/x' }), '#/properties/a: $ref is outside the portable subset'],
    ['oneOf', nested({ oneOf: [{ type: 'string' }, { type: 'integer' }] }), '#/properties/a: oneOf is outside the portable subset'],
    ['const', nested({ type: 'string', const: 'x' }), '#/properties/a: const is outside the portable subset'],
    ['$schema', { ...ok, $schema: 'http://json-schema.org/draft-07/schema#' }, '#: $schema is outside the portable subset'],
    ['a type array', nested({ type: ['string', 'null'] }), '#/properties/a: type arrays are not portable'],
    ['an empty schema', nested({}), '#/properties/a: empty schema'],
    ['a property without a type', nested({ description: 'an id' }), '#/properties/a: no type'],
    ['a nested object without properties', nested({ type: 'object' }), '#/properties/a: an object without properties'],
    ['empty properties', { type: 'object', properties: {} }, '#: properties must name at least one property'],
    ['untyped array items', nested({ type: 'array', items: {} }), '#/properties/a/items: empty schema'],
    ['an array without items', nested({ type: 'array' }), '#/properties/a: an array without items'],
    ['additionalProperties as a schema', nested({ type: 'object', properties: { b: { type: 'string' } }, additionalProperties: { type: 'string' } }), '#/properties/a: additionalProperties must be true or false'],
    ['the null type', nested({ type: 'null' }), '#/properties/a: type "null" is not portable'],
    ['exclusiveMinimum', nested({ type: 'integer', exclusiveMinimum: 0 }), '#/properties/a: exclusiveMinimum is outside the portable subset'],
    ['propertyNames', nested({ type: 'object', properties: { b: { type: 'string' } }, propertyNames: { pattern: '^b$' } }), '#/properties/a: propertyNames is outside the portable subset'],
    ['allOf', nested({ allOf: [{ type: 'string' }] }), '#/properties/a: allOf is outside the portable subset'],
    ['an untyped anyOf branch', nested({ anyOf: [{ type: 'string' }, {}] }), '#/properties/a/anyOf/1: empty schema'],
    ['a deep one, named by its full pointer', nested({ type: 'array', items: { type: 'object', properties: { 'x/y': { type: 'object', properties: { z: { not: {} } } } } } }), '#/properties/a/items/properties/x~1y/properties/z: not is outside the portable subset'],
  ];

  it.each(BAD)('names %s with its JSON pointer', (_label, schema, expected) => {
    expect(portabilityProblems(schema).some((p) => p.startsWith(expected)), JSON.stringify(portabilityProblems(schema))).toBe(true);
  });

  it('passes what the subset allows, including an argument-less tool ({"type":"object"} at the root only)', () => {
    expect(portabilityProblems({ type: 'object' })).toEqual([]);
    const full = {
      type: 'object',
      title: 't',
      description: 'd',
      properties: {
        id: { type: 'integer', minimum: 1, maximum: 9, default: 1 },
        s: { type: 'string', minLength: 1, maxLength: 9, pattern: '^a', format: 'email', enum: ['a'] },
        list: { type: 'array', minItems: 1, maxItems: 2, items: { type: 'number' } },
        o: { type: 'object', properties: { b: { type: 'boolean' } }, required: ['b'], additionalProperties: false },
        either: { anyOf: [{ type: 'string' }, { type: 'integer' }] },
      },
      required: ['id'],
    };
    expect(portabilityProblems(full)).toEqual([]);
  });
});

describe('every listed schema, compiled by Ajv in strict mode', () => {
  it('input and output schemas of every tool compile (JSON Schema 2020-12, the MCP default)', () => {
    const strict = new Ajv2020({ strict: true, allErrors: true });
    // Output schemas may be richer than the input subset: an id in a result is `type: ["number", "string"]`,
    // which strictTypes refuses only as a style (it asks for the union to be allowed by name, as here).
    const strictWithUnions = new Ajv2020({ strict: true, allErrors: true, allowUnionTypes: true });
    let compiled = 0;
    for (const tool of tools) {
      for (const [kind, schema, ajv] of [['input', tool.inputSchema, strict], ['output', tool.outputSchema, strictWithUnions]] as const) {
        expect(schema, `${tool.name} has an ${kind} schema`).toBeDefined();
        expect(() => ajv.compile(schema as object), `${tool.name} ${kind}`).not.toThrow();
        compiled++;
      }
    }
    expect(compiled).toBe(2 * 13);
  });

  it('and strict mode refuses what is not JSON Schema (so the check above can fail)', () => {
    const ajv = new Ajv2020({ strict: true });
    expect(() => ajv.compile({ type: 'object', properties: { a: { type: 'strnig' } } })).toThrow();
    expect(() => ajv.compile({ type: 'object', propertys: {} })).toThrow();
    expect(() => new Ajv2020({ strict: true, allowUnionTypes: true }).compile({ type: 'object', properties: { a: { type: 'string', minimum: 1 } } })).toThrow();
  });
});
