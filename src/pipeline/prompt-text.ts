// Text from the API (or a customer file) shown to a human, in a prompt or on a terminal: one line, no control characters, clearly quoted.

/**
 * Control and format characters: C0 (ESC among them), DEL, C1, bidi overrides and isolates
 * (U+202A–202E, U+2066–2069), zero-width characters, and line/paragraph separators. Any of them
 * can rewrite what a human sees: clear a screen, forge a line, or reverse the text around it.
 */
const UNSAFE = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]+/gu;

/** The most characters of one quoted API value, and of a whole effect sentence. */
export const MAX_QUOTED_CHARS = 80;
export const MAX_PROMPT_CHARS = 500;

/**
 * One line of at most `max` characters with nothing a terminal or a prompt would act on: what a
 * prompt may carry from a tool's description of an effect, and every line a CLI verb prints
 * (`max` Infinity there: the verb's own lines are not cut).
 */
export function promptLine(text: string, max = MAX_PROMPT_CHARS): string {
  const line = text.replace(UNSAFE, ' ').replace(/\s+/g, ' ').trim();
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

/** An API value as quoted data: one bounded line in “ ” quotes, its own curly quotes made straight. */
export function quoted(text: string, max = MAX_QUOTED_CHARS): string {
  return `“${promptLine(text.replace(/[\u201C\u201D]/g, '"'), max)}”`;
}

/**
 * JSON text (as JSON.stringify writes it) with what JSON leaves raw and a terminal may act on
 * (DEL, C1, bidi and zero-width characters, separators) escaped as \uXXXX: it parses to the same
 * values. A raw newline there is layout (JSON escapes those inside strings), so it stays.
 */
export function inertJson(json: string): string {
  return json.replace(UNSAFE, (run) => {
    let out = '';
    for (let i = 0; i < run.length; i++) {
      const unit = run.charCodeAt(i);
      out += unit === 0x0a ? '\n' : `\\u${unit.toString(16).padStart(4, '0')}`;
    }
    return out;
  });
}
