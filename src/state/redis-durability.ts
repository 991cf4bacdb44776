// Whether a Redis can keep an idempotency claim for its 24 hours: its eviction policy and persistence, read live, with what could not be read.

/** One fact about the Redis, as a check line: `keeps` is undefined when it could not be read. */
export interface DurabilityFact {
  name: 'eviction' | 'persistence';
  keeps: boolean | undefined;
  /** The live values and what they mean for a claim. */
  detail: string;
  /** What to set, when it does not keep claims (or may not). */
  fix?: string;
}

export interface Durability {
  facts: DurabilityFact[];
  /** One clause per way a claim can be forgotten (or could not be ruled out); empty when Redis keeps claims. */
  risks: string[];
}

/** How the facts are read: INFO always works; CONFIG GET may be disabled or renamed (managed Redis), and then throws. */
export interface DurabilitySource {
  info(section: 'memory' | 'persistence'): Promise<string>;
  configGet(name: 'save' | 'appendfsync'): Promise<string | undefined>;
}

/** `field:value` lines of an INFO answer. */
function parseInfo(text: string): Map<string, string> {
  const fields = new Map<string, string>();
  for (const line of text.split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon > 0 && !line.startsWith('#')) fields.set(line.slice(0, colon), line.slice(colon + 1).trim());
  }
  return fields;
}

const why = (err: unknown): string => ((err instanceof Error ? err.message : String(err)).split('\n')[0] ?? '').slice(0, 120).trim();

/** The managed-Redis way to change a setting, named in every fix. */
const MANAGED = 'on a managed Redis, in its parameter group or configuration page';

export async function readDurability(source: DurabilitySource): Promise<Durability> {
  const facts: DurabilityFact[] = [];
  const risks: string[] = [];

  const memory = parseInfo(await source.info('memory'));
  const policy = memory.get('maxmemory_policy');
  const maxmemory = memory.get('maxmemory');
  const limit = maxmemory === undefined ? '' : maxmemory === '0' ? ', maxmemory 0 (no limit set)' : `, maxmemory ${maxmemory} bytes`;
  if (policy === undefined) {
    facts.push({ name: 'eviction', keeps: undefined, detail: 'maxmemory-policy could not be read (INFO memory does not name it).', fix: `Make sure maxmemory-policy is noeviction (${MANAGED}).` });
    risks.push('its maxmemory-policy could not be read');
  } else if (policy === 'noeviction') {
    facts.push({ name: 'eviction', keeps: true, detail: `maxmemory-policy noeviction${limit}: no claim is evicted (a full Redis refuses new claims, and keyed writes are then refused, not sent).` });
  } else {
    facts.push({
      name: 'eviction',
      keeps: false,
      detail: `maxmemory-policy ${policy}${limit}: under memory pressure Redis evicts keys${policy.startsWith('volatile') ? ' with a TTL, which every claim has,' : ''} and a retry of an evicted claim is sent again.`,
      fix: `Set maxmemory-policy noeviction (CONFIG SET maxmemory-policy noeviction and in redis.conf, or ${MANAGED}).`,
    });
    risks.push(`maxmemory-policy is ${policy} (set noeviction: under memory pressure it evicts claims, and a retry is sent again)`);
  }

  const persistence = parseInfo(await source.info('persistence'));
  const aof = persistence.get('aof_enabled');
  let save: string | undefined;
  let saveUnread: string | undefined;
  try {
    save = await source.configGet('save');
  } catch (err) {
    saveUnread = why(err);
  }
  let fsync: string | undefined;
  let fsyncUnread: string | undefined;
  try {
    fsync = await source.configGet('appendfsync');
  } catch (err) {
    fsyncUnread = why(err);
  }
  const rdb = save === undefined ? undefined : save.trim() !== '';
  const lastSave = persistence.get('rdb_last_save_time');
  const sinceSave = persistence.get('rdb_changes_since_last_save');
  const rdbSeen = lastSave !== undefined && sinceSave !== undefined ? ` (INFO: ${sinceSave} change(s) since the last RDB save at ${new Date(Number(lastSave) * 1000).toISOString()})` : '';
  const aofFix = `Set appendonly yes with appendfsync everysec (a crash loses about the last second) or always (nothing lost, every write waits for the disk) (${MANAGED}).`;
  if (aof === '1') {
    if (fsync === 'no') {
      facts.push({ name: 'persistence', keeps: false, detail: 'AOF on with appendfsync no: the operating system writes it out when it likes (often every 30 s), so a machine crash forgets the claims made since.', fix: aofFix });
      risks.push('AOF has appendfsync no (set everysec or always: a machine crash forgets the last claims)');
    } else {
      const how = fsync === 'always' ? 'appendfsync always: every claim is on disk before Redis answers' : fsync === 'everysec' ? 'appendfsync everysec: a crash loses at most about the last second of claims' : `appendfsync could not be read (CONFIG GET: ${fsyncUnread ?? 'no answer'})`;
      facts.push({ name: 'persistence', keeps: true, detail: `AOF on, ${how}${rdb ? `; RDB snapshots too (save ${save})` : ''}.` });
    }
  } else if (rdb === true) {
    facts.push({ name: 'persistence', keeps: true, detail: `RDB snapshots only (save ${save}): a restart keeps the claims of the last snapshot; a crash forgets those made since${rdbSeen}. AOF keeps them (appendonly yes).` });
  } else if (rdb === false) {
    facts.push({ name: 'persistence', keeps: false, detail: 'Neither AOF (appendonly no) nor RDB (save "") is on: a Redis restart forgets every claim, and each retry is then sent again.', fix: aofFix });
    risks.push('neither AOF nor RDB is on (a restart forgets every claim; set appendonly yes with appendfsync everysec or always)');
  } else {
    const aofText = aof === '0' ? 'AOF is off' : 'whether AOF is on could not be read (INFO persistence does not say)';
    facts.push({ name: 'persistence', keeps: undefined, detail: `${aofText}, and whether RDB snapshots are on could not be read (CONFIG GET save: ${saveUnread ?? 'no answer'})${rdbSeen}.`, fix: aofFix });
    risks.push(`${aofText} and whether RDB snapshots are on could not be read (CONFIG GET is refused: ${saveUnread ?? 'no answer'})`);
  }
  return { facts, risks };
}

/** The one warning line (stderr, /readyz) for a Redis that may forget a claim; never its URL's userinfo (`where` is host:port). */
export function durabilityWarning(where: string, durability: Durability): string {
  return `shared state store: Redis at ${where} may forget idempotency claims, and a retried keyed add_stamps would then stamp twice: ${durability.risks.join('; ')}.`;
}
