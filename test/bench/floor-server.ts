// The floor of the versus-peers section: the least a get_user server can do on our own stack (the SDK, zod and
// undici at its lowest level), with none of our guarantees. Our server does all of this and more, so whatever
// this one cannot reach against the lean peer, ours cannot either. Bench code only, never shipped.
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { CallToolRequestSchema, ListToolsRequestSchema, type CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { Agent } from 'undici';
import { z } from 'zod';

const base = new URL(process.env.PEER_BASE_URL ?? 'http://127.0.0.1:1/v4');
const root = base.pathname.replace(/\/?$/, '/');
const headers = {
  'x-api-key': process.env.PEER_API_KEY ?? '',
  'x-api-secret': process.env.PEER_API_SECRET ?? '',
  accept: 'application/json',
};
const TIMEOUT_MS = 30_000;
// As ours sizes it: one keep-alive connection per call in flight.
const agent = new Agent({ connections: Number(process.env.PEER_CONNECTIONS ?? 32), keepAliveTimeout: 30_000 });

/** One GET through undici's dispatch API (no stream, no abort signal): the body collected, then parsed and re-serialized as the peers do. */
function get(path: string): Promise<CallToolResult> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let status = 0;
    const fail = (err: Error): void => resolve({ isError: true, content: [{ type: 'text', text: `Request failed: ${err.message}` }] });
    agent.dispatch(
      { origin: base.origin, path: root + path, method: 'GET', headers, headersTimeout: TIMEOUT_MS, bodyTimeout: TIMEOUT_MS },
      {
        onRequestStart: () => undefined,
        onResponseStart: (_ctl, statusCode) => void (status = statusCode),
        onResponseData: (_ctl, chunk) => void chunks.push(chunk),
        onResponseEnd: () => {
          try {
            const body = Buffer.concat(chunks).toString('utf8');
            const text = JSON.stringify(body === '' ? null : (JSON.parse(body) as unknown));
            resolve(status >= 200 && status < 300 ? { content: [{ type: 'text', text }] } : { isError: true, content: [{ type: 'text', text: `HTTP ${status}: ${text}` }] });
          } catch (err) {
            fail(err instanceof Error ? err : new Error(String(err)));
          }
        },
        onResponseError: (_ctl, err) => fail(err),
      },
    );
  });
}

const id = z.union([z.number(), z.string()]);
const getUser = z.object({ loyalty_card_id: id, user_id: id });

// The SDK's low-level handlers, as ours uses them: no McpServer tool machinery on the call path.
const server = new McpServer({ name: 'floor', version: '1.0.0' }, { capabilities: { tools: {} } });
server.server.setRequestHandler(ListToolsRequestSchema, () => ({
  tools: [{ name: 'get_user', description: "Get a card holder's record.", inputSchema: { type: 'object', properties: { loyalty_card_id: { type: ['string', 'number'] }, user_id: { type: ['string', 'number'] } }, required: ['loyalty_card_id', 'user_id'] } }],
}));
server.server.setRequestHandler(CallToolRequestSchema, (request) => {
  if (request.params.name !== 'get_user') return { isError: true, content: [{ type: 'text', text: `Tool ${request.params.name} not found` }] };
  const args = getUser.safeParse(request.params.arguments ?? {});
  if (!args.success) return { isError: true, content: [{ type: 'text', text: z.prettifyError(args.error) }] };
  return get(['loyalty/loyalty-cards', args.data.loyalty_card_id, 'stats', args.data.user_id].join('/'));
});
await server.connect(new StdioServerTransport());
