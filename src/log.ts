// Logging to stderr only (stdout carries JSON-RPC), with the API secret scrubbed from every line.
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

export function stderrLogger(redact: (text: string) => string, write: (line: string) => void = (l) => process.stderr.write(l)): Logger {
  const emit = (level: string, message: string): void => write(redact(`[coupontools-mcp] ${level}${message}\n`));
  return {
    info: (m) => emit('', m),
    warn: (m) => emit('warning: ', m),
    error: (m, err) => emit('error: ', err instanceof Error ? `${m}: ${err.stack ?? err.message}` : m),
  };
}
