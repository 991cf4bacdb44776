// Logging to stderr (stdout carries JSON-RPC) and to the client's MCP log, with the API secret scrubbed.
export interface Logger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string, err?: unknown): void;
}

/** Removes every occurrence of the given secrets from a text. */
export function redactor(secrets: readonly (string | undefined)[]): (text: string) => string {
  const live = secrets.filter((s): s is string => typeof s === 'string' && s.length >= 4);
  return (text) => live.reduce((out, secret) => out.split(secret).join('[redacted]'), text);
}

export function stderrLogger(redact: (text: string) => string, write: (line: string) => void = (l) => void process.stderr.write(l)): Logger {
  const emit = (level: string, message: string): void => write(redact(`[coupontools-mcp] ${level}${message}\n`));
  return {
    info: (m) => emit('', m),
    warn: (m) => emit('warning: ', m),
    error: (m, err) => emit('error: ', err instanceof Error ? `${m}: ${err.stack ?? err.message}` : m),
  };
}

export type LogLevel = 'info' | 'warning' | 'error';

/** The same logger, also forwarding each line to the client as an MCP log message (scrubbed first). */
export function alsoToClient(base: Logger, redact: (text: string) => string, send: (level: LogLevel, text: string) => void): Logger {
  return {
    info: (m) => {
      base.info(m);
      send('info', redact(m));
    },
    warn: (m) => {
      base.warn(m);
      send('warning', redact(m));
    },
    error: (m, err) => {
      base.error(m, err);
      // The client gets the message, not the stack.
      send('error', redact(err instanceof Error ? `${m}: ${err.message}` : m));
    },
  };
}
