// Redaction stage: the secret is removed from every string of a result (keys too) before anything is cut or shown.
export type Redact = (text: string) => string;

/** A copy of a JSON value with every string and key redacted. */
export function redactDeep(value: unknown, redact: Redact): unknown {
  if (typeof value === 'string') return redact(value);
  if (Array.isArray(value)) return value.map((v) => redactDeep(v, redact));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [redact(k), redactDeep(v, redact)]));
  }
  return value;
}
