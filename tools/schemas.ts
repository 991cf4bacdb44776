// Zod pieces shared by the tool files: ids, user fields, input objects, output shapes.
import { z } from 'zod';

const ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
const ID_RULE = 'must be a positive integer or 1-64 characters of A-Z, a-z, 0-9, _ or -';

/**
 * The message for a value that is absent or wrong. Zod reports an absent key as an invalid type
 * with no input; the model must read "missing", not a rule it did not break.
 */
export const missingOr =
  (field: string, wrong: string | undefined, action: string) =>
  (issue: { input?: unknown }): string | undefined =>
    issue.input === undefined ? `${field} is missing: ${action}` : wrong;

/** Where each required id comes from, so a missing one says what to call. */
const ID_SOURCE: Record<string, string> = {
  loyalty_card_id: 'call list_loyalty_cards for card ids',
  user_id: 'call list_users for user ids',
};

/**
 * An id for a URL path or a body: a positive integer or a safe string; always a string after parsing.
 * Listed as an integer, the type the API's results carry (design.md: one portable type per id);
 * a string id is still accepted here, so a model that copies one from a result is not refused.
 */
export function idInput(field: string): z.ZodType<string> {
  const wrong = `${field} ${ID_RULE}`;
  const error = missingOr(field, wrong, ID_SOURCE[field] ?? `give ${field}`);
  return z
    .preprocess(
      (v) => (typeof v === 'number' && Number.isSafeInteger(v) && v > 0 ? String(v) : v),
      // A refinement rather than .regex(): the rule is enforced here, and the pattern stays out of tools/list.
      z.string({ error }).refine((s) => ID_PATTERN.test(s), { error: wrong }),
    )
    .meta({ type: 'integer' }) as unknown as z.ZodType<string>;
}

export const loyaltyCardId = idInput('loyalty_card_id');
export const userId = idInput('user_id');

/**
 * Ids travel in bodies and in our own results as numbers when they look like numbers: the v4 docs
 * show numeric ids. One place to change if a live account shows the API wants strings.
 */
export function wireId(id: string): number | string {
  return /^\d{1,15}$/.test(id) ? Number(id) : id;
}

/** Lone UTF-16 surrogates cannot be put in a URL (encodeURIComponent throws): refused as input. */
export const wellFormedText = z.string().refine((s) => !/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(s), {
  error: 'must be valid Unicode text (no lone surrogates)',
});

/** A bounded string; the bound is checked but, like the id rule, not spelled out in tools/list. */
const text = (max = 255) => z.string().refine((s) => s.length <= max, { error: `at most ${max} characters` });

/** The API's card-holder fields (create, update, bulk, filter), all optional. */
export const userFields = {
  first_name: text().optional(),
  last_name: text().optional(),
  email: text()
    .refine((s) => /^[^\s@]+@[^\s@]+$/.test(s), { error: 'not an email address' })
    .optional(),
  phone: text(32).optional(),
  address: text().optional(),
  zip: text(20).optional(),
  city: text().optional(),
  custom_1: text().optional(),
  custom_2: text().optional(),
  custom_3: text().optional(),
  custom_4: text().optional(),
  custom_5: text().optional(),
  custom_6: text().optional(),
  custom_7: text().optional(),
  custom_8: text().optional(),
};

export type UserFieldName = keyof typeof userFields;
export const USER_FIELD_NAMES = Object.keys(userFields) as UserFieldName[];

/** Names the user fields compactly in an error (the list of fifteen reads badly). */
const validNames = (names: string[]): string[] =>
  names.includes('custom_1') ? [...names.filter((n) => !n.startsWith('custom_')), 'custom_1…custom_8'] : names;

interface KeysIssue {
  code?: string;
  keys?: string[];
  /** The object schema that raised it: its shape, after any extend() by the seam, lists the valid keys. */
  inst?: unknown;
}

/** "Unknown key x: use only a, b" — the model learns the right name from the refusal itself. */
function unknownKeys(extra?: (keys: string[]) => string | undefined) {
  return (issue: KeysIssue): string | undefined => {
    if (issue.code !== 'unrecognized_keys' || !issue.keys) return undefined;
    const special = extra?.(issue.keys);
    if (special) return special;
    const shape = (issue.inst as { _zod?: { def?: { shape?: object } } } | undefined)?._zod?.def?.shape ?? {};
    const valid = validNames(Object.keys(shape));
    const unknown = `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.join(', ')}`;
    return valid.length ? `${unknown}: use only ${valid.join(', ')}` : `${unknown}: call it with no arguments`;
  };
}

/** A tool's argument object: strict, and an unknown key is answered with the valid ones. */
export function toolInput<Shape extends z.ZodRawShape>(shape: Shape, extra?: (keys: string[]) => string | undefined) {
  // Strict when parsing; tools/list leaves out `additionalProperties: false` (12 × 29 bytes on
  // every turn), and the refusal of an unknown key names the valid ones instead.
  return z.strictObject(shape, { error: unknownKeys(extra) }).meta({ additionalProperties: undefined });
}

/** A tool's arguments that include the user fields, each a named property a model can see. */
export function toolInputWithUserFields<Shape extends z.ZodRawShape>(shape: Shape, extra?: (keys: string[]) => string | undefined) {
  return toolInput({ ...shape, ...userFields }, extra);
}

/** A user object inside a list (create_users items): the user fields, closed, listed as such. */
export const userItem = z.strictObject(userFields, { error: unknownKeys() });

/** API data: whatever JSON the API sent (null, number, string, object, array); never refused. */
export const apiValue = z.unknown();

/** An object from the API: typed only as an object, so no field's type can fail a successful call. */
export const apiObject = z.looseObject({});

/** Ids in our own results: numbers when numeric (wireId), strings otherwise. */
export const idOutput = z.union([z.number(), z.string()]);

/** list_users' filter: user field → text to match, every key one of the user fields. */
const filterValue = wellFormedText.pipe(z.string().min(1, { error: 'filter values must not be empty' }).max(255));
export const userFilter = z.strictObject(
  Object.fromEntries(USER_FIELD_NAMES.map((name) => [name, filterValue.optional()])) as Record<UserFieldName, z.ZodOptional<typeof filterValue>>,
  { error: unknownKeys() },
);

/** Rewards as we list them ({id, name}); typed loosely in tools/list, where every byte is paid per turn. */
export const rewardsOutput = z.array(apiObject);
