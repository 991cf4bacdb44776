// Zod pieces shared by the tool files: ids, user fields, output shapes.
import { z } from 'zod';

const ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
const ID_RULE = 'must be a positive integer or 1-64 characters of A-Z, a-z, 0-9, _ or -';

/** An id for a URL path or a body: a positive integer or a safe string; always a string after parsing. */
export function idInput(field: string, description?: string): z.ZodType<string> {
  return z
    .preprocess(
      (v) => (typeof v === 'number' && Number.isSafeInteger(v) && v > 0 ? String(v) : v),
      // A refinement rather than .regex(): the rule is enforced here, and the pattern stays out of tools/list.
      z.string({ error: `${field} ${ID_RULE}` }).refine((s) => ID_PATTERN.test(s), { error: `${field} ${ID_RULE}` }),
    )
    .meta({ type: ['string', 'integer'], ...(description ? { description } : {}) }) as unknown as z.ZodType<string>;
}

export const loyaltyCardId = idInput('loyalty_card_id', 'Card id');
export const userId = idInput('user_id', 'Holder id');

/**
 * Ids travel in bodies as numbers when they look like numbers: the v4 docs show numeric ids.
 * One place to change if a live account shows the API wants strings.
 */
export function wireId(id: string): number | string {
  return /^\d{1,15}$/.test(id) ? Number(id) : id;
}

/** Lone UTF-16 surrogates cannot be put in a URL (encodeURIComponent throws): refused as input. */
export const wellFormedText = z.string().refine((s) => !/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(s), {
  error: 'must be valid Unicode text (no lone surrogates)',
});

/** A bounded string; the bound is checked but, like the id rule, not spelled out in tools/list. */
const text = (description: string, max = 255) =>
  z
    .string()
    .refine((s) => s.length <= max, { error: `at most ${max} characters` })
    .describe(description);

/** The API's card-holder fields (create, update, bulk), all optional. */
export const userFields = {
  first_name: text('First name').optional(),
  last_name: text('Last name').optional(),
  email: text('Email')
    .refine((s) => /^[^\s@]+@[^\s@]+$/.test(s), { error: 'not an email address' })
    .optional(),
  phone: text('Phone, e.g. +32470000000', 32).optional(),
  address: text('Street address').optional(),
  zip: text('Postal code', 20).optional(),
  city: text('City').optional(),
  custom_1: text('Custom 1').optional(),
  custom_2: text('Custom 2').optional(),
  custom_3: text('Custom 3').optional(),
  custom_4: text('Custom 4').optional(),
  custom_5: text('Custom 5').optional(),
  custom_6: text('Custom 6').optional(),
  custom_7: text('Custom 7').optional(),
  custom_8: text('Custom 8').optional(),
};

/**
 * The same fields for an item of a list (create_users): checked as strictly, but shown in tools/list
 * as a plain object that points at create_user, so the fifteen fields are not paid for twice.
 */
export const userItem = z
  .looseObject({})
  .describe('A user: the fields of create_user')
  .pipe(z.strictObject(userFields));

export type UserFieldName = keyof typeof userFields;
export const USER_FIELD_NAMES = Object.keys(userFields) as UserFieldName[];

/** Ids the API sends back: numbers in the docs, but nothing breaks if a string comes. */
export const idOutput = z.union([z.number(), z.string()]);

/** A card as documented (id, code, name, domain, type); any other field passes through. */
export const cardOutput = z.looseObject({
  id: idOutput.optional(),
  code: z.string().optional(),
  name: z.string().optional(),
  domain: z.string().optional(),
  type: z.string().optional(),
});

/** The user object is undocumented: only the id is typed, everything else passes through. */
export const userOutput = z.looseObject({ id: idOutput.optional() });
