// `npm run bundle`: packs what the npm package ships plus its runtime dependencies into a Claude Desktop bundle (.mcpb) with the official mcpb CLI.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { crc32, deflateSync } from 'node:zlib';
import { allTools } from '../../tools/index.js';
import { ICON_SHAPES } from '../mcp/icon.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const BUNDLE_FILE = 'coupontools-mcp.mcpb';

interface PackageJson {
  name: string;
  version: string;
  description: string;
  license: string;
  keywords?: string[];
  bin: Record<string, string>;
  engines?: { node?: string };
}

interface LockEntry {
  dev?: boolean;
}

/** The manifest Claude Desktop reads: settings it asks for, and how it launches the server with them. */
export function manifest(pkg: PackageJson): Record<string, unknown> {
  const entry = pkg.bin[pkg.name];
  if (!entry) throw new Error(`package.json has no bin named ${pkg.name}`);
  return {
    manifest_version: '0.3',
    name: pkg.name,
    display_name: 'Coupontools loyalty',
    version: pkg.version,
    description: 'Run a Coupontools loyalty program: cards, holders, stamps, rewards and wallet pushes, with a human yes before anything destructive.',
    long_description:
      'Leave the client id and secret empty to try it on the built-in sandbox (simulated cards and customers, nothing reaches a real account). ' +
      'With your Coupontools API client id and secret it works on your live account. Deleting or voiding a holder and pushing to every holder ask for your confirmation first.',
    author: { name: 'coupontools-mcp contributors' },
    license: pkg.license,
    keywords: pkg.keywords ?? [],
    icon: 'icon.png',
    server: {
      type: 'node',
      entry_point: entry,
      mcp_config: {
        command: 'node',
        args: [`\${__dirname}/${entry}`],
        env: {
          // Empty id and secret (the defaults) mean the sandbox.
          COUPONTOOLS_API_KEY: '${user_config.client_id}',
          COUPONTOOLS_API_SECRET: '${user_config.client_secret}',
          COUPONTOOLS_CONFIRM: '${user_config.confirm}',
          COUPONTOOLS_READ_ONLY: '${user_config.read_only}',
        },
      },
    },
    tools: allTools.map((t) => ({ name: t.name, description: t.description })),
    compatibility: { platforms: ['darwin', 'win32', 'linux'], runtimes: { node: pkg.engines?.node ?? '>=20' } },
    user_config: {
      client_id: {
        type: 'string',
        title: 'API client id',
        description: 'Your Coupontools API client id. Leave empty (with the secret) for the sandbox.',
        required: false,
        default: '',
      },
      client_secret: {
        type: 'string',
        title: 'API client secret',
        description: 'Your Coupontools API client secret. Kept in the system keychain. Leave empty for the sandbox.',
        sensitive: true,
        required: false,
        default: '',
      },
      confirm: {
        type: 'string',
        title: 'Confirmation',
        description: 'auto (ask before deleting, voiding or pushing to all), elicit (ask, or refuse if the client cannot), or off.',
        required: false,
        default: 'auto',
      },
      read_only: {
        type: 'boolean',
        title: 'Read-only',
        description: 'Offer only the tools that look things up; nothing can be changed.',
        required: false,
        default: false,
      },
    },
  };
}

/** Inside a rounded rectangle? (coordinates on the icon's 64×64 grid) */
function inBox(x: number, y: number, b: { x: number; y: number; w: number; h: number; r: number }): boolean {
  const dx = Math.max(b.x + b.r - x, 0, x - (b.x + b.w - b.r));
  const dy = Math.max(b.y + b.r - y, 0, y - (b.y + b.h - b.r));
  return x >= b.x && x <= b.x + b.w && y >= b.y && y <= b.y + b.h && dx * dx + dy * dy <= b.r * b.r;
}

const rgb = (hex: string): [number, number, number] => [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16)) as [number, number, number];

/** The icon as a PNG (mcpb wants one), drawn from the same shapes as the SVG, 4×4 supersampled. */
export function iconPng(size = 512): Buffer {
  const s = ICON_SHAPES;
  const brown = rgb(s.tile.fill);
  const cream = rgb(s.card.fill);
  const colourAt = (x: number, y: number): [number, number, number] | undefined => {
    if (s.stamped.some((c) => Math.hypot(x - c.cx, y - c.cy) <= c.r)) return brown;
    if (s.empty.some((c) => Math.abs(Math.hypot(x - c.cx, y - c.cy) - c.r) <= c.stroke / 2)) return brown;
    if (inBox(x, y, s.card)) return cream;
    if (inBox(x, y, s.tile)) return brown;
    return undefined;
  };
  const rows = Buffer.alloc((size * 4 + 1) * size);
  const scale = 64 / size;
  for (let py = 0; py < size; py++) {
    rows[py * (size * 4 + 1)] = 0; // filter: none
    for (let px = 0; px < size; px++) {
      let [r, g, b, hits] = [0, 0, 0, 0];
      for (let sy = 0; sy < 4; sy++) {
        for (let sx = 0; sx < 4; sx++) {
          const c = colourAt((px + (sx + 0.5) / 4) * scale, (py + (sy + 0.5) / 4) * scale);
          if (!c) continue;
          r += c[0];
          g += c[1];
          b += c[2];
          hits++;
        }
      }
      if (hits === 0) continue;
      rows.set([r / hits, g / hits, b / hits, (hits / 16) * 255].map(Math.round), py * (size * 4 + 1) + 1 + px * 4);
    }
  }
  const chunk = (type: string, data: Buffer): Buffer => {
    const head = Buffer.alloc(8);
    head.writeUInt32BE(data.length, 0);
    head.write(type, 4, 'ascii');
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
    return Buffer.concat([head, data, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(size, 0);
  ihdr.writeUInt32BE(size, 4);
  ihdr.set([8, 6, 0, 0, 0], 8); // 8-bit RGBA, no interlace
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(rows)), chunk('IEND', Buffer.alloc(0))]);
}

function run(command: string, args: string[], cwd: string): string {
  const res = spawnSync(command, args, { cwd, encoding: 'utf8', shell: process.platform === 'win32', maxBuffer: 64 * 1024 * 1024 });
  if (res.status !== 0) throw new Error(`${command} ${args.join(' ')} failed (${res.status}): ${res.stderr || res.stdout}`);
  return res.stdout;
}

/** Builds the bundle at `output`; returns its sha256 (the registry's fileSha256 for a release). */
export function buildBundle(output: string): string {
  const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as PackageJson;
  const stage = mkdtempSync(path.join(tmpdir(), 'ct-mcpb-'));
  try {
    // Exactly the files the npm package ships (package.json's `files`), so the two never drift.
    const packed = JSON.parse(run('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], ROOT)) as Array<{ files: Array<{ path: string }> }>;
    for (const { path: file } of packed[0]?.files ?? []) {
      mkdirSync(path.dirname(path.join(stage, file)), { recursive: true });
      cpSync(path.join(ROOT, file), path.join(stage, file));
    }
    // Runtime dependencies as the lock file resolved them: every installed package not marked dev.
    const lock = JSON.parse(readFileSync(path.join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, LockEntry> };
    for (const [where, entry] of Object.entries(lock.packages)) {
      // Nested node_modules come along with their top-level parent.
      if (!where.startsWith('node_modules/') || where.slice('node_modules/'.length).includes('node_modules/') || entry.dev) continue;
      if (existsSync(path.join(ROOT, where))) cpSync(path.join(ROOT, where), path.join(stage, where), { recursive: true });
    }
    writeFileSync(path.join(stage, 'icon.png'), iconPng());
    writeFileSync(path.join(stage, 'manifest.json'), `${JSON.stringify(manifest(pkg), null, 2)}\n`);
    const cli = path.join(ROOT, 'node_modules', '@anthropic-ai', 'mcpb', 'dist', 'cli', 'cli.js');
    rmSync(output, { force: true });
    run(process.execPath, [cli, 'pack', stage, output], ROOT);
    return createHash('sha256').update(readFileSync(output)).digest('hex');
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
}

/** Writes the bundle's sha256 into a server.json's mcpb package: the MCP Registry requires it, and it is known only once the release is built. */
export function stampServerJson(file: string, sha: string): void {
  const doc = JSON.parse(readFileSync(file, 'utf8')) as { packages?: Array<Record<string, unknown>> };
  const mcpb = doc.packages?.find((p) => p.registryType === 'mcpb');
  if (!mcpb) throw new Error(`${file} lists no mcpb package`);
  mcpb.fileSha256 = sha;
  writeFileSync(file, `${JSON.stringify(doc, null, 2)}\n`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  // node dist/src/bundle.js [output.mcpb] [--server-json server.json]
  const args = process.argv.slice(2);
  const at = args.indexOf('--server-json');
  const serverJson = at === -1 ? undefined : args.splice(at, 2)[1];
  const output = path.resolve(args[0] ?? path.join(ROOT, BUNDLE_FILE));
  const sha = buildBundle(output);
  if (serverJson) stampServerJson(serverJson, sha);
  process.stderr.write(`Built ${output}\nsha256 ${sha}${serverJson ? ` (written to ${serverJson})` : ''}\nOpen it with Claude Desktop (or drag it onto Settings → Extensions) to install.\n`);
}
