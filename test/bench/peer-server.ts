// The bench's hand-written peers: the server people write themselves (McpServer + zod, the same twelve tools, the API's JSON as text),
// over node:http with a keep-alive Agent (the lean peer), or with `--fetch` over global fetch. Bench code only, never shipped.
import { Agent, request } from 'node:http';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';

const useFetch = process.argv.includes('--fetch');
const base = new URL(process.env.PEER_BASE_URL ?? 'http://127.0.0.1:1/v4');
/** The base path with its slash, e.g. /v4/. */
const root = base.pathname.replace(/\/?$/, '/');
const headers = {
  'x-api-key': process.env.PEER_API_KEY ?? '',
  'x-api-secret': process.env.PEER_API_SECRET ?? '',
  accept: 'application/json',
  'content-type': 'application/json',
};
// A socket timeout lets the Agent honour the server's Keep-Alive hint (it retires idle sockets before the server closes them).
const agent = new Agent({ keepAlive: true, timeout: 30_000 });
const TIMEOUT_MS = 30_000;

interface Answer {
  status: number;
  data: unknown;
}

/** One request over node:http on the keep-alive Agent: the body collected as text, then parsed. */
function viaHttp(method: string, path: string, body: string | undefined): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ hostname: base.hostname, port: base.port, path: root + path, method, headers, agent }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => {
        try {
          resolve({ status: res.statusCode ?? 0, data: text === '' ? null : (JSON.parse(text) as unknown) });
        } catch (err) {
          reject(err instanceof Error ? err : new Error(String(err)));
        }
      });
      res.on('error', reject);
    });
    req.setTimeout(TIMEOUT_MS, () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end(body);
  });
}

async function viaFetch(method: string, path: string, body: string | undefined): Promise<Answer> {
  const res = await fetch(`${base.origin}${root}${path}`, { method, headers, ...(body === undefined ? {} : { body }), signal: AbortSignal.timeout(TIMEOUT_MS) });
  const text = await res.text();
  return { status: res.status, data: text === '' ? null : (JSON.parse(text) as unknown) };
}

const id = z.union([z.number(), z.string()]);
const holder = (card: string | number, user: string | number, ...rest: string[]): string => ['loyalty/loyalty-cards', card, 'stats', user, ...rest].join('/');

/** What a typical tool body does: send, then hand the API's JSON back as text (an error status as an error). */
async function api(method: string, path: string, body?: unknown): Promise<CallToolResult> {
  try {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const { status, data } = await (useFetch ? viaFetch : viaHttp)(method, path, payload);
    const text = JSON.stringify(data);
    return status >= 200 && status < 300 ? { content: [{ type: 'text', text }] } : { isError: true, content: [{ type: 'text', text: `HTTP ${status}: ${text}` }] };
  } catch (err) {
    return { isError: true, content: [{ type: 'text', text: `Request failed: ${err instanceof Error ? err.message : String(err)}` }] };
  }
}

const fields = {
  first_name: z.string().optional(),
  last_name: z.string().optional(),
  email: z.string().optional(),
  phone: z.string().optional(),
  address: z.string().optional(),
  zip: z.string().optional(),
  city: z.string().optional(),
  custom_1: z.string().optional(),
  custom_2: z.string().optional(),
  custom_3: z.string().optional(),
  custom_4: z.string().optional(),
  custom_5: z.string().optional(),
  custom_6: z.string().optional(),
  custom_7: z.string().optional(),
  custom_8: z.string().optional(),
};

const server = new McpServer({ name: useFetch ? 'fetch-peer' : 'lean-peer', version: '1.0.0' });

server.registerTool('list_loyalty_cards', { description: 'List the loyalty cards of the account.', inputSchema: {} }, () => api('GET', 'loyalty/loyalty-cards'));
server.registerTool(
  'copy_loyalty_card',
  { description: 'Copy a loyalty card, optionally under a new name.', inputSchema: { loyalty_card_id: id, name: z.string().max(50).optional() } },
  ({ loyalty_card_id, name }) => api('POST', `loyalty/loyalty-cards/${loyalty_card_id}/copy`, name === undefined ? {} : { name }),
);
server.registerTool(
  'list_users',
  {
    description: 'List or search the holders of a card.',
    inputSchema: { loyalty_card_id: id, filter: z.record(z.string(), z.string()).optional(), page: z.number().int().optional(), limit: z.number().int().max(200).optional(), include_voided: z.boolean().optional() },
  },
  ({ loyalty_card_id, filter, page, limit, include_voided }) => {
    const query = new URLSearchParams();
    for (const [k, v] of Object.entries(filter ?? {})) query.set(`filter[${k}]`, v);
    query.set('page', String(page ?? 1));
    query.set('limit', String(limit ?? 50));
    if (include_voided) query.set('include_voided', '1');
    return api('GET', `loyalty/loyalty-cards/${loyalty_card_id}/stats?${query.toString()}`);
  },
);
server.registerTool('get_user', { description: "Get a card holder's record.", inputSchema: { loyalty_card_id: id, user_id: id } }, ({ loyalty_card_id, user_id }) =>
  api('GET', holder(loyalty_card_id, user_id)),
);
server.registerTool('create_user', { description: 'Create a card holder.', inputSchema: { loyalty_card_id: id, ...fields } }, ({ loyalty_card_id, ...rest }) =>
  api('POST', `loyalty/loyalty-cards/${loyalty_card_id}/stats`, rest),
);
server.registerTool(
  'create_users',
  { description: 'Create up to 500 card holders at once.', inputSchema: { loyalty_card_id: id, users: z.array(z.object(fields)).min(1).max(500) } },
  ({ loyalty_card_id, users }) => api('POST', `loyalty/loyalty-cards/${loyalty_card_id}/stats/bulk`, { users }),
);
server.registerTool('update_user', { description: "Update a card holder's fields.", inputSchema: { loyalty_card_id: id, user_id: id, ...fields } }, ({ loyalty_card_id, user_id, ...rest }) =>
  api('POST', holder(loyalty_card_id, user_id), rest),
);
server.registerTool(
  'add_stamps',
  { description: 'Add stamps or points to a card holder.', inputSchema: { loyalty_card_id: id, user_id: id, amount: z.number().int().min(1), idempotency_key: z.string().optional() } },
  ({ loyalty_card_id, user_id, amount }) => api('POST', holder(loyalty_card_id, user_id), { amount }),
);
server.registerTool(
  'use_rewards',
  { description: 'Redeem rewards of a card holder.', inputSchema: { loyalty_card_id: id, user_id: id, reward_ids: z.array(id).min(1).max(50) } },
  ({ loyalty_card_id, user_id, reward_ids }) => api('PUT', holder(loyalty_card_id, user_id, 'rewards'), { reward_ids }),
);
server.registerTool('void_user', { description: 'Void a card holder.', inputSchema: { loyalty_card_id: id, user_id: id } }, ({ loyalty_card_id, user_id }) =>
  api('PUT', holder(loyalty_card_id, user_id, 'void')),
);
server.registerTool('delete_user', { description: 'Delete a card holder.', inputSchema: { loyalty_card_id: id, user_id: id } }, ({ loyalty_card_id, user_id }) =>
  api('DELETE', holder(loyalty_card_id, user_id)),
);
server.registerTool(
  'send_push_notification',
  { description: 'Send a wallet push notification.', inputSchema: { loyalty_card_id: id, message: z.string().min(1).max(500), recipient_user_ids: z.array(id).optional() } },
  ({ loyalty_card_id, message, recipient_user_ids }) =>
    api('POST', `loyalty/loyalty-cards/${loyalty_card_id}/push-notifications`, recipient_user_ids ? { message, recipient_stat_ids: recipient_user_ids } : { message }),
);

await server.connect(new StdioServerTransport());
process.stdin.on('end', () => process.exit(0));
