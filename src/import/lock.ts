// One import at a time per journal: a lock file beside it, created exclusively, taken over only from a holder provably dead on this host.
import { closeSync, constants, fstatSync, linkSync, lstatSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { basename } from 'node:path';
import { randomBytes } from 'node:crypto';
import { InputError } from '../coupontools/errors.js';

/** What the lock file holds: enough to tell who runs the import, and whether they still live. */
interface Holder {
  pid: number;
  host: string;
  started: string;
}

export interface ImportLock {
  /** Removes the lock file, if it is still this run's. */
  release(): void;
}

/** The lock for a journal: beside it, with the same name plus `.lock`. */
export const lockPath = (journal: string): string => `${journal}.lock`;

/** Whether process `pid` exists on this host (EPERM: it exists, owned by someone else). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readHolder(path: string): { holder: Holder | undefined; ino: number } | undefined {
  try {
    const stat = lstatSync(path);
    if (!stat.isFile()) throw new InputError(`${basename(path)} exists and is not a regular file; remove it.`);
    let holder: Holder | undefined;
    try {
      const value = JSON.parse(readFileSync(path, 'utf8')) as Partial<Holder>;
      if (Number.isInteger(value.pid) && typeof value.host === 'string' && typeof value.started === 'string') holder = value as Holder;
    } catch {
      holder = undefined; // being written this very moment, or damaged: never taken over
    }
    return { holder, ino: stat.ino };
  } catch (err) {
    if (err instanceof InputError) throw err;
    return undefined; // gone since: try to create it again
  }
}

/**
 * Takes the lock for the whole run, or refuses naming the run that holds it. The file is created
 * with O_EXCL, so of two runs starting together exactly one gets it. A lock left by a crash is
 * taken over only when its holder is provably gone: same host, and no process with its pid. A lock
 * from another host (a shared folder) or one that cannot be read is never taken over: its owner,
 * or the operator, removes it. Refusing (rather than waiting) because the second run's plan was
 * made without the first run's results: it must plan again anyway, once the first has finished.
 */
export function acquireImportLock(journal: string, what: string): ImportLock {
  const path = lockPath(journal);
  const me: Holder = { pid: process.pid, host: hostname(), started: new Date().toISOString() };
  for (let attempt = 0; attempt < 3; attempt++) {
    let fd: number;
    try {
      fd = openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const found = readHolder(path);
      if (!found) continue;
      const { holder, ino } = found;
      if (!holder || holder.host !== me.host || alive(holder.pid)) {
        const who = holder ? `process ${holder.pid} on ${holder.host}, started ${holder.started}` : 'a run whose lock file cannot be read';
        throw new InputError(
          `An import of ${what} is already running (${who}). Wait for it to finish, then run the same import again: it resumes from the journal. If no such import is running, remove ${basename(path)}.`,
        );
      }
      takeOver(path, ino);
      continue;
    }
    try {
      writeSync(fd, `${JSON.stringify(me)}\n`);
      const { ino } = fstatSync(fd);
      return {
        release() {
          // Only our own file: never one a later run created after ours was taken over.
          if (lstatSync(path, { throwIfNoEntry: false })?.ino === ino) unlinkSync(path);
        },
      };
    } finally {
      closeSync(fd);
    }
  }
  throw new InputError(`The import lock ${basename(path)} keeps changing under this run. Try again.`);
}

/**
 * Moves a dead holder's lock aside and removes it. The move is atomic, so of two runs taking over
 * at once only one moves the dead lock; if what was moved is not it (another run's fresh lock),
 * it is put back without replacing anything.
 */
function takeOver(path: string, deadIno: number): void {
  const aside = `${path}.stale-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    renameSync(path, aside);
  } catch {
    return; // someone else moved it first
  }
  if (lstatSync(aside).ino === deadIno) {
    unlinkSync(aside);
    return;
  }
  try {
    linkSync(aside, path);
  } catch {
    // a third run created one meanwhile: that run holds the lock
  }
  unlinkSync(aside);
}
