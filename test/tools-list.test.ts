// tools/list invariants: the contract names, hints, schema shapes, descriptions, a snapshot and the byte budget.
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import { startHarness, type Harness } from './harness.js';

const CONTRACT: Record<string, 'read' | 'write' | 'destructive'> = {
  list_loyalty_cards: 'read',
  copy_loyalty_card: 'write',
  list_users: 'read',
  get_user: 'read',
  create_user: 'write',
  create_users: 'write',
  update_user: 'write',
  add_stamps: 'write',
  use_rewards: 'write',
  void_user: 'destructive',
  delete_user: 'destructive',
  send_push_notification: 'write',
};
/** Gated per call: they take a confirm_token in auto mode. */
const GATED = new Set(['void_user', 'delete_user', 'send_push_notification']);
const IDEMPOTENT = new Set(['list_loyalty_cards', 'list_users', 'get_user', 'update_user', 'void_user', 'delete_user']);

/** What every user pays on every turn; the README quotes the figure this test prints. */
const MAX_TOOLS_LIST_BYTES = 12_000;
const SNAPSHOT = new URL('./__snapshots__/tools-list.json', import.meta.url);

let h: Harness;
let tools: Tool[];
let wire: string;

beforeAll(async () => {
  h = await startHarness();
  const listed = await h.client.listTools();
  tools = listed.tools;
  wire = JSON.stringify(listed);
});
afterAll(() => h.close());

describe('tools/list', () => {
  it('lists exactly the twelve contract tools', () => {
    expect(tools.map((t) => t.name).sort()).toEqual(Object.keys(CONTRACT).sort());
  });

  it('sets a title and all four hints to match each tool\'s access', () => {
    for (const tool of tools) {
      const access = CONTRACT[tool.name];
      expect(tool.title, tool.name).toBeTruthy();
      expect(tool.annotations, tool.name).toEqual({
        readOnlyHint: access === 'read',
        destructiveHint: access === 'destructive',
        idempotentHint: IDEMPOTENT.has(tool.name),
        openWorldHint: true,
      });
    }
  });

  it('has object schemas with no top-level anyOf/oneOf/allOf', () => {
    for (const tool of tools) {
      for (const schema of [tool.inputSchema, tool.outputSchema]) {
        expect(schema, tool.name).toBeDefined();
        expect(schema?.type, tool.name).toBe('object');
        for (const key of ['anyOf', 'oneOf', 'allOf']) expect(schema, `${tool.name}.${key}`).not.toHaveProperty(key);
      }
    }
  });

  it('describes every input property, and every tool in a sentence or more', () => {
    for (const tool of tools) {
      expect(tool.description?.length ?? 0, tool.name).toBeGreaterThan(40);
      const visit = (schema: Record<string, unknown>, path: string): void => {
        const props = (schema.properties ?? {}) as Record<string, Record<string, unknown>>;
        for (const [name, prop] of Object.entries(props)) {
          expect(typeof prop.description, `${path}.${name}`).toBe('string');
          const items = prop.items as Record<string, unknown> | undefined;
          if (items?.properties) visit(items, `${path}.${name}[]`);
        }
      };
      visit(tool.inputSchema as Record<string, unknown>, tool.name);
    }
  });

  it('gated tools take a confirm_token in the default (auto) mode', () => {
    for (const tool of tools) {
      const props = Object.keys(tool.inputSchema.properties ?? {});
      expect(props.includes('confirm_token'), tool.name).toBe(GATED.has(tool.name));
    }
  });

  it('matches the committed snapshot (review any change to what models see)', () => {
    const current = `${JSON.stringify(tools, null, 2)}\n`;
    if (process.env.UPDATE_TOOLS_SNAPSHOT === '1') writeFileSync(SNAPSHOT, current);
    expect(existsSync(SNAPSHOT), 'no snapshot: run UPDATE_TOOLS_SNAPSHOT=1 npx vitest run test/tools-list.test.ts and review it').toBe(true);
    expect(current).toBe(readFileSync(SNAPSHOT, 'utf8'));
  });

  it(`stays within ${MAX_TOOLS_LIST_BYTES} bytes`, () => {
    const bytes = Buffer.byteLength(wire);
    const perTool = tools.map((t) => `${t.name}=${Buffer.byteLength(JSON.stringify(t))}`).join(' ');
    process.stderr.write(`tools/list: ${bytes} bytes for ${tools.length} tools (${Math.round(bytes / tools.length)} per tool)\n  ${perTool}\n`);
    expect(bytes).toBeLessThanOrEqual(MAX_TOOLS_LIST_BYTES);
    // The README quotes this figure; it must be the measured one.
    expect(readFileSync(new URL('../README.md', import.meta.url), 'utf8')).toContain(`**${bytes.toLocaleString('en-US')} bytes**`);
  });
});
