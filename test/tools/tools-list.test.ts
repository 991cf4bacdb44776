// tools/list invariants: the contract names, hints, schema shapes, descriptions, a snapshot and the byte budget.
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import { USER_FIELD_NAMES, USER_FIELD_PATTERN } from '../../tools/schemas.js';
import { startHarness, type Harness } from '../support/harness.js';

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

/** What every user pays on every turn (design.md's budgets); docs/figures.md quotes the figures this test prints. */
const MAX_TOOLS_LIST_BYTES = 8_000;
const MAX_MODEL_VISIBLE_BYTES = 4_000;

/** What a model reads of a tool: its name, description and input schema, as serialized in tools/list. */
export function modelVisibleBytes(list: readonly Tool[]): number {
  return list.reduce((sum, t) => sum + Buffer.byteLength(JSON.stringify({ name: t.name, description: t.description, inputSchema: t.inputSchema })), 0);
}
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

  it('describes every tool in a sentence or more, and no property restates its name', () => {
    for (const tool of tools) {
      expect(tool.description?.length ?? 0, tool.name).toBeGreaterThan(40);
      for (const [name, prop] of Object.entries(tool.inputSchema.properties ?? {})) {
        const description = (prop as { description?: string }).description;
        if (description === undefined) continue;
        const words = new Set(name.split('_'));
        expect(description.toLowerCase().split(/\W+/).filter((w) => w && !words.has(w)).length, `${tool.name}.${name}`).toBeGreaterThan(1);
      }
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

  it(`stays within ${MAX_MODEL_VISIBLE_BYTES} model-visible bytes and ${MAX_TOOLS_LIST_BYTES} bytes in all`, () => {
    const bytes = Buffer.byteLength(wire);
    const visible = modelVisibleBytes(tools);
    const perTool = tools.map((t) => `${t.name}=${modelVisibleBytes([t])}/${Buffer.byteLength(JSON.stringify(t))}`).join(' ');
    process.stderr.write(
      `tools/list: ${bytes} bytes for ${tools.length} tools; model-visible (name + description + inputSchema): ${visible} bytes\n  per tool (visible/all): ${perTool}\n`,
    );
    expect(visible).toBeLessThanOrEqual(MAX_MODEL_VISIBLE_BYTES);
    expect(bytes).toBeLessThanOrEqual(MAX_TOOLS_LIST_BYTES);
    // docs/figures.md quotes both figures; they must be the measured ones.
    const figures = readFileSync(new URL('../../docs/figures.md', import.meta.url), 'utf8');
    expect(figures).toContain(`**${bytes.toLocaleString('en-US')} bytes**`);
    expect(figures).toContain(`**${visible.toLocaleString('en-US')} model-visible bytes**`);
  });

  it('shows the valid filter keys and user fields in the schema, matching what is accepted', () => {
    const pattern = new RegExp(USER_FIELD_PATTERN);
    for (const name of USER_FIELD_NAMES) expect(pattern.test(name), name).toBe(true);
    for (const bad of ['name', 'amount', 'custom_9', 'custom_0', 'password']) expect(pattern.test(bad), bad).toBe(false);
    const filter = (tools.find((t) => t.name === 'list_users')?.inputSchema.properties as Record<string, Record<string, unknown>>).filter;
    expect(filter?.patternProperties).toEqual({ [USER_FIELD_PATTERN]: { type: 'string' } });
    expect(filter?.additionalProperties).toBe(false);
    for (const name of ['create_user', 'update_user']) {
      expect(tools.find((t) => t.name === name)?.inputSchema.patternProperties, name).toEqual({ [USER_FIELD_PATTERN]: { type: 'string' } });
    }
  });
});
