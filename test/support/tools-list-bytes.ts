// The two tools/list figures every user pays on every turn, measured one way for the tests, the bench and the docs.
import type { ListToolsResult, Tool } from '@modelcontextprotocol/sdk/types.js';

/** What a model reads of a tool: its name, description and input schema, as serialized in tools/list. */
export function modelVisibleBytes(list: readonly Tool[]): number {
  return list.reduce((sum, t) => sum + Buffer.byteLength(JSON.stringify({ name: t.name, description: t.description, inputSchema: t.inputSchema })), 0);
}

/** The whole tools/list answer, as the SDK client received it. */
export const toolsListBytes = (listed: ListToolsResult): number => Buffer.byteLength(JSON.stringify(listed));
