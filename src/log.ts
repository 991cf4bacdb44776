// Logging to stderr (stdout carries JSON-RPC) and to the client's MCP log, with the API secret scrubbed.
export interface Logger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string, err?: unknown): void;
}

/** Removes every occurrence of the given secrets from a text, in each form a secret travels in. */
export function redactor(secrets: readonly (string | undefined)[]): (text: string) => string {
  const live = secrets.filter((s): s is string => typeof s === 'string' && s.length >= 4);
  // Longest first, so a form that contains another is removed whole; one pass over the text.
  const forms = [...new Set(live.flatMap(secretForms))].sort((a, b) => b.length - a.length);
  if (forms.length === 0) return (text) => text;
  const pattern = new RegExp(forms.map((f) => f.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')).join('|'), 'g');
  return (text) => text.replace(pattern, '[redacted]');
}

/** Below this length a base64 fragment could match ordinary text, so it is not used as a form. */
const MIN_BASE64_CORE = 8;

/**
 * The secret as it may appear in text we pass on: raw, JSON-escaped (once, twice as in the
 * text copy of a result, or three times), URL-encoded (either hex case, `+` or `%20` for spaces) and base64
 * (standard and URL-safe, at each of the three byte alignments a longer encoded text may give it).
 */
export function secretForms(secret: string): string[] {
  const json = JSON.stringify(secret).slice(1, -1);
  const url = encodeURIComponent(secret);
  const twice = JSON.stringify(json).slice(1, -1);
  // Thrice escaped too: a string holding the twice-escaped secret shows it so in a JSON text, which
  // is how a whole result is checked at once (src/pipeline/result-shaping.ts).
  const forms = [secret, json, twice, JSON.stringify(twice).slice(1, -1), url, url.replace(/%20/g, '+'), url.replace(/%[0-9A-F]{2}/g, (h) => h.toLowerCase())];
  const bytes = Buffer.from(secret, 'utf8');
  for (let shift = 0; shift < 3; shift++) {
    const encoded = Buffer.concat([Buffer.alloc(shift), bytes]).toString('base64');
    // Skip the characters mixed with the unknown bytes before and after: the core is the same wherever the secret sits.
    const start = Math.ceil((shift * 4) / 3);
    const end = Math.floor(((shift + bytes.length) * 4) / 3);
    const core = encoded.slice(start, end);
    if (core.length >= MIN_BASE64_CORE) forms.push(core, core.replace(/\+/g, '-').replace(/\//g, '_'));
  }
  return forms.filter((f) => f.length > 0);
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
