// MCP over stdio (the default verb): parse settings, start the server, shut down cleanly on EOF and signals.
import type { Writable } from 'node:stream';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { Admission, AdmittedTransport } from './admission.js';
import { createApp } from '../mcp/assemble.js';
import { ConfigError, helpText, parseConfig, plainHttpWarning, usesSandbox } from '../config.js';
import { LineCap, MAX_FRAME_BYTES, tooLargeAnswer } from './line-cap.js';
import { packageInfo } from '../package-info.js';
import { shutdownOnSignals } from './shutdown.js';

export async function main(argv: string[]): Promise<void> {
  let action;
  try {
    action = parseConfig(argv, process.env);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${packageInfo.name}: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  // --help and --version are for a human at a terminal, not the protocol.
  if (action.action === 'help') {
    process.stdout.write(helpText(packageInfo.name, packageInfo.version));
    return;
  }
  if (action.action === 'version') {
    process.stdout.write(`${packageInfo.version}\n`);
    return;
  }
  const { config } = action;
  let app;
  try {
    app = await createApp(config);
  } catch (err) {
    // A bad tool name, an audit log that cannot be opened, or a demo file that cannot be read
    // stop start-up; nothing is silently dropped or replaced.
    if (err instanceof Error && ['ConfigError', 'AuditLogError', 'SandboxStateError'].includes(err.name)) {
      process.stderr.write(`${packageInfo.name}: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  const { log } = app;
  if (config.dryRun) log.info('DRY RUN: writes send nothing and return the request they would send.');
  if (config.readOnly) log.info('READ-ONLY: only list_loyalty_cards, list_users and get_user are offered.');
  const clearText = plainHttpWarning(config);
  if (clearText) log.warn(clearText);
  if (config.confirm === 'off') log.warn('COUPONTOOLS_CONFIRM=off: delete_user, void_user and broadcast pushes run without asking a human.');
  log.info(
    usesSandbox(config)
      ? `${packageInfo.version}: SANDBOX mode (simulated data${app.sandbox ? ` at ${app.sandbox.url}` : ''}). Set COUPONTOOLS_API_KEY and COUPONTOOLS_API_SECRET to use your live account.`
      : `${packageInfo.version}: LIVE mode against ${config.baseUrl}. Unset the credentials or pass --sandbox for simulated data.`,
  );

  // Someone ran it by hand: say that it is waiting, since a silent terminal looks like a hang.
  if (process.stdin.isTTY) {
    log.info('Waiting for an MCP client on stdin (clients such as Claude Desktop start this themselves). To try it: npm run demo, or npx @modelcontextprotocol/inspector node dist/src/index.js. Ctrl-C quits.');
  }

  // Writes in flight get SHUTDOWN_GRACE_MS; the process is gone within 2 s whatever happens.
  const shutdown = shutdownOnSignals(log, () => app.close(), 'session');
  process.stdin.on('end', () => shutdown('stdin closed'));
  // The client is gone (EPIPE): nobody can read an answer or a log line, so stop, once, quietly.
  process.stdout.on('error', () => shutdown('stdout closed'));

  // An overlong line is answered (its id read from its first bytes) so the client is not left waiting for its own timeout.
  const discarded = (bytes: number, head: Buffer): void => {
    const answer = tooLargeAnswer(head, `Request line of ${bytes} bytes is larger than this server's ${MAX_FRAME_BYTES}-byte frame cap`);
    log.warn(`discarded a ${bytes}-byte line on stdin: over the ${MAX_FRAME_BYTES}-byte frame cap; answered with error ${answer.error.code} for id ${JSON.stringify(answer.id)}`);
    void transport.reply(answer as unknown as JSONRPCMessage);
  };
  const frames = process.stdin.pipe(new LineCap(MAX_FRAME_BYTES, discarded));
  // One pending 'drain' listener per answer waiting on a slow reader; admission keeps them few.
  process.stdout.setMaxListeners(0);
  const transport = new AdmittedTransport(new StdioServerTransport(frames, batched(process.stdout)), new Admission(), frames);
  transport.onerror = (err) => log.warn(`ignored a malformed message on stdin: ${err.message}`);
  await app.server.connect(transport);
}

/**
 * stdout as the SDK's transport uses it (write, and a 'drain' wait), with every answer of one
 * event-loop turn written at once: under load one write, and one wake-up of the client, carries
 * many answers. What is held goes out when the turn ends, or at exit.
 */
export function batched(out: NodeJS.WriteStream): Writable {
  let held = false;
  const release = (): void => {
    if (!held) return;
    held = false;
    out.uncork();
  };
  process.once('exit', release);
  const stream = {
    write(chunk: string): boolean {
      if (!held) {
        held = true;
        out.cork();
        setImmediate(release);
      }
      return out.write(chunk);
    },
    once(event: string, listener: () => void) {
      out.once(event, listener);
      return stream;
    },
  };
  return stream as unknown as Writable;
}
