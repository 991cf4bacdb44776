// Text from the API inside a prompt a human reads: one line, no control characters, bounded, clearly quoted.

/** Control and format characters (incl. bidi overrides, zero-width) and line/paragraph separators. */
const UNSAFE = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]+/gu;

/** The most characters of one quoted API value, and of a whole effect sentence. */
export const MAX_QUOTED_CHARS = 80;
export const MAX_PROMPT_CHARS = 500;

/** One line of at most `max` characters: what a prompt may carry from a tool's description of an effect. */
export function promptLine(text: string, max = MAX_PROMPT_CHARS): string {
  const line = text.replace(UNSAFE, ' ').replace(/\s+/g, ' ').trim();
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

/** An API value as quoted data: one bounded line in “ ” quotes, its own curly quotes made straight. */
export function quoted(text: string, max = MAX_QUOTED_CHARS): string {
  return `“${promptLine(text.replace(/[\u201C\u201D]/g, '"'), max)}”`;
}
