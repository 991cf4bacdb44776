// `npm run demo`: a scripted session (SDK Client over stdio, sandbox mode) printed as a readable transcript.
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';

// The demo is a terminal program, not the server: its transcript belongs on stdout.
const say = (line = ''): boolean => process.stdout.write(`${line}\n`);

type Json = Record<string, unknown>;
interface Reward {
  id: number;
  name: string;
}

async function main(): Promise<void> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('COUPONTOOLS_')) env[k] = v;
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [fileURLToPath(new URL('./index.js', import.meta.url)), '--sandbox'],
    env,
    stderr: 'ignore',
  });
  const client = new Client({ name: 'coupontools-demo', version: '1.0.0' });
  await client.connect(transport);

  const call = async (name: string, args: Json, note: string): Promise<Json> => {
    say(`\n> ${name} ${JSON.stringify(args)}`);
    say(`  (${note})`);
    const result = (await client.callTool({ name, arguments: args })) as CallToolResult;
    if (result.isError) {
      const text = result.content.map((c) => (c.type === 'text' ? c.text : '')).join(' ');
      say(`  error: ${text}`);
      return {};
    }
    return (result.structuredContent ?? {}) as Json;
  };

  const { tools } = await client.listTools();
  say(`coupontools-mcp demo: ${tools.length} tools, SANDBOX (simulated data, nothing leaves this machine)`);
  say('The store owner says: "Jane was just in with her coffee order: give her three stamps, and tell me if she has a free coffee."');

  const cards = (await call('list_loyalty_cards', {}, 'which cards does the business have?')).cards as Json[];
  for (const c of cards) say(`  - ${String(c.name)} (id ${String(c.id)}, ${String(c.type)})`);
  const coffee = cards.find((c) => c.type === 'stamp');
  if (!coffee) throw new Error('the sandbox has no stamp card');

  const found = await call('list_users', { loyalty_card_id: coffee.id, filter: { email: 'jane@example.com' } }, 'find Jane by email');
  const jane = (found.users as Json[])[0];
  if (!jane) throw new Error('Jane is not in the sandbox');
  say(`  found ${String(jane.first_name)} ${String(jane.last_name)}, user ${String(jane.id)}, ${String(jane.stamps)} stamps`);

  const stamped = await call('add_stamps', { loyalty_card_id: coffee.id, user_id: jane.id, amount: 3 }, 'one call for the whole purchase');
  const unlocked = (stamped.rewards_available ?? []) as Reward[];
  say(`  card balance now ${String((stamped.user as Json).stamps)} stamps (a full card starts again); rewards waiting: ${unlocked.map((r) => `${r.name} (reward ${r.id})`).join(', ') || 'none'}`);

  const free = unlocked.find((r) => /coffee/i.test(r.name));
  if (free) {
    say('\nThe owner: "Great, she is having it now."');
    const used = await call('use_rewards', { loyalty_card_id: coffee.id, user_id: jane.id, reward_ids: [free.id] }, 'redeem the free coffee');
    say(`  redeemed ${JSON.stringify(used.redeemed)}; rewards still waiting: ${((used.rewards_available ?? []) as Reward[]).length}`);
  }

  say('\nThe owner: "And delete Jane\'s card, she is moving away."');
  const preview = await call('delete_user', { loyalty_card_id: coffee.id, user_id: jane.id }, 'a destructive call: the server asks first');
  say(`  ${String(preview.status)}: ${String(preview.effect)}`);
  say(`  nothing was deleted: the assistant must show this to the owner and call again with confirm_token ${String(preview.confirm_token).slice(0, 6)}… only if they say yes.`);

  await client.close();
  say('\nDone. Connect a real client with the settings in README.md, or run the MCP Inspector: npx @modelcontextprotocol/inspector node dist/src/index.js');
}

main().catch((err: unknown) => {
  process.stderr.write(`demo failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
