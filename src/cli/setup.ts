// `coupontools-mcp setup <client>`: writes (or prints) one MCP client's config entry for this install, merged into its file.
import { copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';
import { packageInfo } from '../package-info.js';
import { inertJson, promptLine } from '../pipeline/prompt-text.js';
import { isDeepStrictEqual } from 'node:util';

export const CLIENTS = ['claude-desktop', 'claude-code', 'cursor', 'vscode'] as const;
export type ClientName = (typeof CLIENTS)[number];

/** The key this server is stored under in every client's file. */
export const SERVER_KEY = 'coupontools';

const CLIENT_TITLES: Record<ClientName, string> = {
  'claude-desktop': 'Claude Desktop',
  'claude-code': 'Claude Code',
  cursor: 'Cursor',
  vscode: 'VS Code',
};

/** Where the install lives and whose machine it is; injected so every platform's layout is testable anywhere. */
export interface Place {
  platform: NodeJS.Platform;
  home: string;
  env: Record<string, string | undefined>;
  /** Absolute path of the node binary running now. */
  node: string;
  /** Absolute path of this install's entry point (dist/src/index.js). */
  bin: string;
}

/** The user-level config file each client reads its MCP servers from. */
export function configPath(client: ClientName, place: Place): string {
  const p = place.platform === 'win32' ? path.win32 : path.posix;
  // Per-user application data: Roaming on Windows, Application Support on macOS, XDG on Linux.
  const appData = (): string => {
    if (place.platform === 'win32') return place.env.APPDATA || p.join(place.home, 'AppData', 'Roaming');
    if (place.platform === 'darwin') return p.join(place.home, 'Library', 'Application Support');
    return place.env.XDG_CONFIG_HOME || p.join(place.home, '.config');
  };
  switch (client) {
    case 'claude-desktop':
      return p.join(appData(), 'Claude', 'claude_desktop_config.json');
    case 'claude-code':
      // User scope (`claude mcp add --scope user`): top-level mcpServers in ~/.claude.json.
      return p.join(place.home, '.claude.json');
    case 'cursor':
      return p.join(place.home, '.cursor', 'mcp.json');
    case 'vscode':
      // The user profile's mcp.json (VS Code 1.102+); a workspace's .vscode/mcp.json has the same shape.
      return p.join(appData(), 'Code', 'User', 'mcp.json');
  }
}

export interface Credentials {
  apiKey: string;
  apiSecret: string;
}

/** Text that stands where a secret will go when it is not written (--print --live). */
export const PLACEHOLDER = { apiKey: '<your-client-id>', apiSecret: '<your-client-secret>' } as const;

/** VS Code asks for these itself (and keeps the secret in its secret storage), so none is written. */
const VSCODE_INPUTS = [
  { type: 'promptString', id: 'coupontools-api-key', description: 'Coupontools API client id' },
  { type: 'promptString', id: 'coupontools-api-secret', description: 'Coupontools API client secret', password: true },
];

type Json = Record<string, unknown>;

export interface Block {
  /** The top-level key the servers live under. */
  serversKey: 'mcpServers' | 'servers';
  entry: Json;
  /** VS Code only: input prompts, merged by id. */
  inputs?: Json[];
}

/** The entry for one client. `credentials` only for --live on a client that has no secret input of its own. */
export function configBlock(client: ClientName, place: Place, live: boolean, credentials?: Credentials): Block {
  // Absolute node path: GUI clients launch with a short PATH that may not hold node.
  const base: Json = { command: place.node, args: live ? [place.bin] : [place.bin, '--sandbox'] };
  if (client === 'vscode') {
    const entry: Json = { type: 'stdio', ...base };
    if (!live) return { serversKey: 'servers', entry };
    entry.env = { COUPONTOOLS_API_KEY: '${input:coupontools-api-key}', COUPONTOOLS_API_SECRET: '${input:coupontools-api-secret}' };
    return { serversKey: 'servers', entry, inputs: VSCODE_INPUTS };
  }
  const entry: Json = client === 'claude-code' ? { type: 'stdio', ...base } : { ...base };
  if (live) {
    const c = credentials ?? PLACEHOLDER;
    entry.env = { COUPONTOOLS_API_KEY: c.apiKey, COUPONTOOLS_API_SECRET: c.apiSecret };
  }
  return { serversKey: 'mcpServers', entry };
}

export class SetupError extends Error {
  override name = 'SetupError';
}

/** The file's new text with our entry merged in; every other key and server is kept as it was. */
export function merge(existing: string | undefined, block: Block, file: string): { text: string; changed: boolean } {
  let doc: Json = {};
  if (existing !== undefined && existing.trim() !== '') {
    let parsed: unknown;
    try {
      parsed = JSON.parse(existing);
    } catch {
      throw new SetupError(`${file} is not plain JSON (comments or a syntax error?), so it was left untouched; add the block from --print by hand`);
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new SetupError(`${file} does not hold a JSON object; it was left untouched`);
    doc = parsed as Json;
  }
  const servers = doc[block.serversKey];
  if (servers !== undefined && (servers === null || typeof servers !== 'object' || Array.isArray(servers))) {
    throw new SetupError(`"${block.serversKey}" in ${file} is not an object; it was left untouched`);
  }
  const next: Json = { ...doc, [block.serversKey]: { ...(servers as Json | undefined), [SERVER_KEY]: block.entry } };
  if (block.inputs) {
    const current = Array.isArray(doc.inputs) ? (doc.inputs as unknown[]) : [];
    const ours = new Set(block.inputs.map((i) => i.id));
    const others = current.filter((i) => !(i && typeof i === 'object' && ours.has((i as Json).id)));
    next.inputs = [...others, ...block.inputs];
  }
  return { text: `${JSON.stringify(next, null, 2)}\n`, changed: !isDeepStrictEqual(next, doc) };
}

export interface Written {
  file: string;
  backup: string | undefined;
  changed: boolean;
}

/**
 * Merges the block into the client's file: a backup of the old file first, then a write through a
 * temporary file and a rename, so a crash never leaves half a config. Unchanged → nothing written.
 */
export function writeBlock(file: string, block: Block, now: Date, secret: boolean): Written {
  const existing = existsSync(file) ? readFileSync(file, 'utf8') : undefined;
  const { text, changed } = merge(existing, block, file);
  if (!changed) return { file, backup: undefined, changed: false };
  mkdirSync(path.dirname(file), { recursive: true });
  let backup: string | undefined;
  // Keep the file's own permissions; a new file that will hold a secret is readable by its owner only.
  let mode = secret ? 0o600 : 0o644;
  if (existing !== undefined) {
    backup = `${file}.${now.toISOString().replace(/[:.]/g, '-')}.bak`;
    copyFileSync(file, backup);
    mode = statSync(file).mode & 0o777;
    if (secret) mode &= 0o700;
  }
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, text, { mode });
  renameSync(tmp, file);
  return { file, backup, changed: true };
}

/** Reads "client id" then "secret" from stdin: prompted (the secret unechoed) on a terminal, two lines from a pipe. */
async function readCredentials(): Promise<Credentials> {
  const lines: string[] = [];
  if (process.stdin.isTTY) {
    let muted = false;
    const output = new Writable({
      write(chunk: Buffer, _enc, done) {
        if (!muted) process.stderr.write(chunk);
        done();
      },
    });
    const rl = createInterface({ input: process.stdin, output, terminal: true });
    const ask = (q: string, hide: boolean): Promise<string> =>
      new Promise((resolve) => {
        process.stderr.write(q);
        muted = hide;
        rl.question('', (answer) => {
          muted = false;
          if (hide) process.stderr.write('\n');
          resolve(answer);
        });
      });
    lines.push(await ask('Coupontools API client id: ', false), await ask('Coupontools API client secret (not shown): ', true));
    rl.close();
  } else {
    let text = '';
    for await (const chunk of process.stdin) text += String(chunk);
    lines.push(...text.split(/\r?\n/).slice(0, 2));
  }
  const [apiKey = '', apiSecret = ''] = lines.map((l) => l.trim());
  if (!apiKey || !apiSecret || /\s/.test(apiKey + apiSecret)) {
    throw new SetupError('--live needs the client id and the secret on stdin (one per line, no spaces), e.g. from a password manager: pass show coupontools | coupontools-mcp setup cursor --live');
  }
  return { apiKey, apiSecret };
}

const USAGE = `Usage: coupontools-mcp setup <${CLIENTS.join('|')}> [--live] [--print]

Adds the "${SERVER_KEY}" server (this install, sandbox mode) to that client's user config,
keeping every other server; a backup of the old file is written first; running it again
changes nothing.
  --live   use your live account instead of the sandbox. VS Code asks for the client id and
           secret itself; for the other clients they are read from stdin (prompted on a
           terminal, or two lines from a pipe), never from the command line.
  --print  only print the block and where it would go; writes and reads nothing.
`;

export async function main(argv: string[]): Promise<void> {
  // A terminal verb: its report belongs on stdout. Paths come from the environment (HOME, APPDATA,
  // XDG_CONFIG_HOME) and arguments are echoed, so each line is made inert; only our own text has newlines.
  const say = (line: string): boolean => process.stdout.write(`${promptLine(line, Infinity)}\n`);
  const fail = (message: string, usage = false): never => {
    process.stderr.write(`coupontools-mcp setup: ${promptLine(message, Infinity)}\n${usage ? USAGE : ''}`);
    process.exit(2);
  };
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(USAGE);
    return;
  }
  const flags = argv.filter((a) => a.startsWith('-'));
  const names = argv.filter((a) => !a.startsWith('-'));
  const unknown = flags.filter((f) => f !== '--live' && f !== '--print');
  if (unknown.length > 0) fail(`unknown option ${unknown.join(', ')}`, true);
  const client = names[0] as ClientName | undefined;
  if (names.length !== 1 || !client || !CLIENTS.includes(client)) fail(`name one client: ${CLIENTS.join(', ')}`, true);
  const live = flags.includes('--live');
  const print = flags.includes('--print');
  const place: Place = {
    platform: process.platform,
    home: homedir(),
    env: process.env,
    node: process.execPath,
    bin: packageInfo.bin,
  };
  const target = client as ClientName;
  const file = configPath(target, place);
  const title = CLIENT_TITLES[target];
  if (print) {
    const block = configBlock(target, place, live);
    const shown: Json = { [block.serversKey]: { [SERVER_KEY]: block.entry } };
    if (block.inputs) shown.inputs = block.inputs;
    say(`# ${title}: merge into ${file}`);
    process.stdout.write(`${inertJson(JSON.stringify(shown, null, 2))}\n`);
    return;
  }
  try {
    const needsSecret = live && target !== 'vscode';
    const block = configBlock(target, place, live, needsSecret ? await readCredentials() : undefined);
    const written = writeBlock(file, block, new Date(), needsSecret);
    const mode = live ? 'LIVE' : 'SANDBOX';
    if (!written.changed) say(`${title}: ${file} already has this "${SERVER_KEY}" server (${mode}); nothing changed.`);
    else {
      say(`${title}: wrote the "${SERVER_KEY}" server (${mode}) to ${file}${written.backup ? ` (the old file is in ${written.backup})` : ''}.`);
      say(`Restart ${title} to load it.${live ? '' : ' Run setup again with --live to use your account.'}`);
    }
  } catch (err) {
    if (err instanceof SetupError) fail(err.message);
    throw err;
  }
}
