// Reads and atomically writes the sandbox state as a JSON file.
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { basename, dirname, join } from 'node:path';
import { SandboxStateError, validateSandboxState, type SandboxState } from './state.js';

function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function isMissingFile(error: unknown): boolean {
  return (error as NodeJS.ErrnoException | null)?.code === 'ENOENT';
}

function parseStateText(path: string, text: string): SandboxState {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new SandboxStateError(`Sandbox state file ${path} is not valid JSON: ${describeError(error)}`);
  }
  return validateSandboxState(parsed, `file ${path}`);
}

/** Loads and validates a state file; a missing, unreadable, corrupt or malformed file throws SandboxStateError. */
export function loadSandboxState(path: string): SandboxState {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new SandboxStateError(`Cannot read sandbox state file ${path}: ${describeError(error)}`);
  }
  return parseStateText(path, text);
}

/** Like loadSandboxState, but a file that does not exist yet gives `undefined` instead of an error. */
export function loadSandboxStateIfPresent(path: string): SandboxState | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if (isMissingFile(error)) return undefined;
    throw new SandboxStateError(`Cannot read sandbox state file ${path}: ${describeError(error)}`);
  }
  return parseStateText(path, text);
}

/**
 * Writes the state so that a crash at any moment leaves either the old or the new file, never a
 * torn one: write a temporary file in the same directory (rename is only atomic within one file
 * system), flush it to disk, then rename it over the target.
 */
export function saveSandboxState(path: string, state: SandboxState): void {
  const directory = dirname(path);
  const temporaryPath = join(directory, `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  const text = `${JSON.stringify(state, null, 2)}\n`;
  try {
    mkdirSync(directory, { recursive: true }); // a first run with a fresh --sandbox-state path just works
    const fd = openSync(temporaryPath, 'wx', 0o600);
    try {
      writeFileSync(fd, text); // loops until every byte is written, unlike a single writeSync
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temporaryPath, path);
  } catch (error) {
    rmSync(temporaryPath, { force: true });
    throw new SandboxStateError(`Cannot save sandbox state file ${path}: ${describeError(error)}`);
  }
  syncDirectory(directory);
}

// The rename itself is only durable once the directory entry is flushed; some platforms (Windows)
// cannot open a directory for that, and the file content is already safe, so failure is ignored.
function syncDirectory(directory: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(directory, 'r');
    fsyncSync(fd);
  } catch {
    // best effort, see above
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
