// Parsing and checking request bodies and list queries the way the sandbox's API contract demands.
import { ERROR_CODE, envelopeError, unprocessable } from './api-errors.js';
import { PROFILE_FIELDS, type HolderProfile, type ProfileField } from './state.js';

export type JsonObject = Record<string, unknown>;

export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `undefined` for an empty body; invalid JSON is a 400. */
export function parseJsonBody(text: string): unknown {
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw envelopeError(400, `The request body is not valid JSON: ${reason}`, ERROR_CODE.invalidValue);
  }
}

/** An empty body counts as `{}`; anything but a JSON object is a 422. */
export function objectBody(text: string): JsonObject {
  const body = parseJsonBody(text);
  if (body === undefined) return {};
  if (!isJsonObject(body)) throw unprocessable('The request body must be a JSON object.');
  return body;
}

export function rejectUnknownKeys(body: JsonObject, allowed: readonly string[]): void {
  const unknown = Object.keys(body).find((key) => !allowed.includes(key));
  if (unknown !== undefined) {
    throw unprocessable(`Unknown field "${unknown}". Allowed fields: ${allowed.join(', ')}.`, ERROR_CODE.notAllowed);
  }
}

export interface FieldProblem {
  /** The offending field, or null when the item as a whole is wrong. */
  field: string | null;
  message: string;
  code: number;
}

const PROFILE_FIELD_SET: ReadonlySet<string> = new Set(PROFILE_FIELDS);

// Deliberately loose (one @, a dot in the domain, no spaces): the point is to catch obvious
// mistakes like a name in the email field, not to implement RFC 5322.
const EMAIL_PATTERN = /^[^\s@]+@[^\s@.]+(\.[^\s@.]+)+$/;

/** The first problem in a user-fields object, or null if every key is a known field with a valid string. */
export function findProfileProblem(body: JsonObject): FieldProblem | null {
  for (const [field, value] of Object.entries(body)) {
    if (!PROFILE_FIELD_SET.has(field)) {
      const hint = field === 'amount' ? ' To add stamps or points, POST {"amount": n} alone to .../stats/{userId}.' : '';
      return {
        field,
        message: `Unknown field "${field}". Allowed fields: ${PROFILE_FIELDS.join(', ')}.${hint}`,
        code: ERROR_CODE.notAllowed,
      };
    }
    if (typeof value !== 'string') {
      return { field, message: `Field "${field}" must be a string.`, code: ERROR_CODE.invalidValue };
    }
    // "" is how a field is unset, for email as for every other field.
    if (field === 'email' && value !== '' && !EMAIL_PATTERN.test(value)) {
      return {
        field,
        message: `Field "email" must be a valid email address like name@example.com (or "" to clear it).`,
        code: ERROR_CODE.invalidEmail,
      };
    }
  }
  return null;
}

/** Validated user fields, or a 422 naming the first bad one. */
export function profileBody(body: JsonObject): Partial<HolderProfile> {
  const problem = findProfileProblem(body);
  if (problem !== null) throw unprocessable(problem.message, problem.code);
  return body as Partial<HolderProfile>;
}

/** Ids in bodies may come as numbers or digit strings; anything else can never match an id. */
export function idFromBody(value: unknown): number | null {
  if (typeof value === 'number' && Number.isSafeInteger(value) && value > 0) return value;
  if (typeof value === 'string' && /^[1-9]\d{0,15}$/.test(value)) return Number(value);
  return null;
}

/** Same for path segments: only a plain positive decimal can name a sandbox card or holder. */
export function idFromSegment(segment: string): number | null {
  return /^[1-9]\d{0,15}$/.test(segment) ? Number(segment) : null;
}

export interface HolderListQuery {
  filters: Array<[ProfileField, string]>;
  page: number;
  limit: number;
  includeVoided: boolean;
}

export const DEFAULT_PAGE_LIMIT = 50;
export const MAX_PAGE_LIMIT = 200;

const QUERY_PARAMETERS_HELP = 'filter[<field>], pagination[page], pagination[limit], include_voided';

/**
 * Reads the PHP-bracket list query (`filter[email]=a%40b.c&pagination[page]=2`). Unknown
 * parameters are rejected rather than ignored, so a client that encodes them another way finds out.
 */
export function parseHolderListQuery(rawQuery: string): HolderListQuery {
  const query: HolderListQuery = { filters: [], page: 1, limit: DEFAULT_PAGE_LIMIT, includeVoided: false };
  const filters = new Map<ProfileField, string>();
  for (const [key, value] of new URLSearchParams(rawQuery)) {
    const filterField = /^filter\[(.*)\]$/.exec(key)?.[1];
    if (filterField !== undefined) {
      if (!PROFILE_FIELD_SET.has(filterField)) {
        throw unprocessable(
          `Unknown filter field "${filterField}". Filter on one of: ${PROFILE_FIELDS.join(', ')}.`,
          ERROR_CODE.notAllowed,
        );
      }
      filters.set(filterField as ProfileField, value); // PHP semantics: a repeated key keeps the last value
    } else if (key === 'pagination[page]') {
      if (!/^[1-9]\d{0,8}$/.test(value)) {
        throw unprocessable(`pagination[page] must be an integer of 1 or more, got "${value}".`, ERROR_CODE.invalidNumber);
      }
      query.page = Number(value);
    } else if (key === 'pagination[limit]') {
      const limit = /^\d{1,4}$/.test(value) ? Number(value) : NaN;
      if (!(limit >= 1 && limit <= MAX_PAGE_LIMIT)) {
        throw unprocessable(
          `pagination[limit] must be an integer from 1 to ${MAX_PAGE_LIMIT}, got "${value}".`,
          ERROR_CODE.invalidNumber,
        );
      }
      query.limit = limit;
    } else if (key === 'include_voided') {
      if (value === 'true' || value === '1') query.includeVoided = true;
      else if (value === 'false' || value === '0') query.includeVoided = false;
      else throw unprocessable(`include_voided must be true or false, got "${value}".`, ERROR_CODE.notAllowed);
    } else {
      throw unprocessable(`Unknown query parameter "${key}". Allowed: ${QUERY_PARAMETERS_HELP}.`, ERROR_CODE.notAllowed);
    }
  }
  query.filters = [...filters];
  return query;
}
