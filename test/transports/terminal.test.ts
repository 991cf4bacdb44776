// Run by hand in a terminal, the server says it waits for a client and how to try it; launched by a client, it says nothing of the kind.
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { BIN, cleanEnv, runBuilt } from '../support/binary.js';

const WAITING = 'Waiting for an MCP client on stdin';

describe('the stdio server in a terminal', () => {
  it('on a TTY (util-linux script gives it one), prints one line on how to try it, then ends at EOF', () => {
    // stdin of `script` is empty, so the pseudo-terminal sees EOF and the server shuts down.
    const r = spawnSync('script', ['-qec', `"${process.execPath}" "${BIN}"`, '/dev/null'], { encoding: 'utf8', env: cleanEnv(), input: '', timeout: 15_000 });
    expect(r.status, r.stderr).toBe(0);
    const lines = r.stdout.split(/\r?\n/).filter((l) => l.includes(WAITING));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('npm run demo');
    expect(lines[0]).toContain('npx @modelcontextprotocol/inspector node dist/src/index.js');
  });

  it('from a pipe (how clients launch it), prints no such line', async () => {
    const r = await runBuilt('index.js', []);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('SANDBOX mode');
    expect(r.stderr).not.toContain(WAITING);
  });
});
