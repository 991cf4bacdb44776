// The wire dialects the sandbox can speak: one option per wire-profile setting, plus the shapes the client must read either way.
import { ALIASABLE_FIELDS, LIST_ENCODINGS, PAGE_SIZE_KEYS, type AliasableField, type ListEncoding, type PageSizeKey } from '../coupontools/wire-profile.js';

export interface SandboxDialect {
  /** How GET .../stats expects filter and pagination (see coupontools/wire-profile.ts). Other keys are refused with a 422. */
  listEncoding: ListEncoding;
  /** The page-size key inside the pagination. */
  pageSizeKey: PageSizeKey;
  /** Holder lists as `{data, pagination}` (default) or as a bare array without metadata, like every public v4 list. */
  lists: 'wrapped' | 'bare';
  /** null: bulk create takes a bare JSON array (default); otherwise the wrapper key it demands. */
  bulkKey: string | null;
  /**
   * honoured (default); ignored: every match comes back whatever page and size were asked;
   * page-ignored: the page size is honoured but every page is page 1.
   */
  paging: 'honoured' | 'ignored' | 'page-ignored';
  /** Our holder field name → the name this dialect uses in its answers (e.g. stamps → stamp_count). */
  fieldNames: Partial<Record<AliasableField, string>>;
}

export const DEFAULT_DIALECT: SandboxDialect = {
  listEncoding: 'brackets',
  pageSizeKey: 'limit',
  lists: 'wrapped',
  bulkKey: null,
  paging: 'honoured',
  fieldNames: {},
};

/** The full dialect from the options given; a value outside the known set is a programming error. */
export function dialectOf(options: Partial<SandboxDialect> = {}): SandboxDialect {
  const dialect = { ...DEFAULT_DIALECT, ...options, fieldNames: { ...options.fieldNames } };
  if (!LIST_ENCODINGS.includes(dialect.listEncoding)) throw new TypeError(`dialect.listEncoding: unknown ${String(dialect.listEncoding)}`);
  if (!PAGE_SIZE_KEYS.includes(dialect.pageSizeKey)) throw new TypeError(`dialect.pageSizeKey: unknown ${String(dialect.pageSizeKey)}`);
  if (!['wrapped', 'bare'].includes(dialect.lists)) throw new TypeError(`dialect.lists: unknown ${String(dialect.lists)}`);
  if (!['honoured', 'ignored', 'page-ignored'].includes(dialect.paging)) throw new TypeError(`dialect.paging: unknown ${String(dialect.paging)}`);
  for (const field of Object.keys(dialect.fieldNames)) {
    if (!(ALIASABLE_FIELDS as readonly string[]).includes(field)) throw new TypeError(`dialect.fieldNames: ${field} is not a renamable field`);
  }
  return dialect;
}

/** Deepest nesting searched for holders (bulk results hold them two levels down). */
const MAX_DEPTH = 6;

/**
 * An answer with holder fields under this dialect's names. A holder is any object with a
 * `loyalty_card_id`; cards and everything else pass unchanged.
 */
export function renameHolderFields(body: unknown, fieldNames: SandboxDialect['fieldNames'], depth = 0): unknown {
  const renames = Object.entries(fieldNames);
  if (renames.length === 0 || depth > MAX_DEPTH || body === null || typeof body !== 'object') return body;
  if (Array.isArray(body)) return body.map((item) => renameHolderFields(item, fieldNames, depth + 1));
  const holder = Object.hasOwn(body, 'loyalty_card_id');
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(body)) {
    const renamed = holder && Object.hasOwn(fieldNames, key) ? (fieldNames[key as AliasableField] as string) : key;
    out[renamed] = renameHolderFields(value, fieldNames, depth + 1);
  }
  return out;
}
