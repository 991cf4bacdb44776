// The wire dialects the tests run in: what the sandbox speaks, and the profile settings that match it.
import type { SandboxDialect } from '../../src/sandbox/sandbox.js';

export interface DialectCase {
  name: string;
  dialect: Partial<SandboxDialect>;
  /** The wire-profile settings that speak this dialect (what doctor must recommend). */
  profile: Record<string, string>;
}

const ALIASES = { stamps: 'stamp_count', rewards: 'reward_list', voided: 'is_voided', wallet_installed: 'has_wallet' } as const;

/** Every dialect whose paging works: the list/wire suite and doctor run in each. */
export const DIALECTS: readonly DialectCase[] = [
  { name: 'default (brackets, wrapped lists, bare-array bulk)', dialect: {}, profile: {} },
  { name: 'bare-array lists', dialect: { lists: 'bare' }, profile: {} },
  { name: 'json query encoding', dialect: { listEncoding: 'json' }, profile: { COUPONTOOLS_LIST_ENCODING: 'json' } },
  {
    name: 'flat query encoding with per_page',
    dialect: { listEncoding: 'flat', pageSizeKey: 'per_page' },
    profile: { COUPONTOOLS_LIST_ENCODING: 'flat', COUPONTOOLS_PAGE_SIZE_KEY: 'per_page' },
  },
  { name: 'wrapped bulk body', dialect: { bulkKey: 'users' }, profile: { COUPONTOOLS_BULK_BODY: 'wrapped' } },
  {
    name: 'other field names',
    dialect: { fieldNames: ALIASES },
    profile: { COUPONTOOLS_FIELD_ALIASES: 'stamp_count:stamps,reward_list:rewards,is_voided:voided,has_wallet:wallet_installed' },
  },
  {
    name: 'all at once (bare, json, per_page, bulk under "stats", other field names)',
    dialect: { lists: 'bare', listEncoding: 'json', pageSizeKey: 'per_page', bulkKey: 'stats', fieldNames: ALIASES },
    profile: {
      COUPONTOOLS_LIST_ENCODING: 'json',
      COUPONTOOLS_PAGE_SIZE_KEY: 'per_page',
      COUPONTOOLS_BULK_BODY: 'wrapped',
      COUPONTOOLS_BULK_KEY: 'stats',
      COUPONTOOLS_FIELD_ALIASES: 'stamp_count:stamps,reward_list:rewards,is_voided:voided,has_wallet:wallet_installed',
    },
  },
];
