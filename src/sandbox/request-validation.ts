// Parsing and checking request bodies and list queries the way the sandbox's API contract demands.
import { ERROR_CODE, envelopeError, unprocessable } from './api-errors.js';
import type { SandboxDialect } from './dialect.js';
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

/** The query keys each encoding reads, for the message that refuses any other key. */
function parametersHelp(dialect: ListDialect): string {
  const size = dialect.pageSizeKey;
  switch (dialect.listEncoding) {
    case 'brackets':
      return `filter[<field>], pagination[page], pagination[${size}], include_voided`;
    case 'json':
      return `filter (a JSON object of fields), pagination (a JSON object of page and ${size}), include_voided`;
    case 'flat':
      return `<field> (one of the user fields), page, ${size}, include_voided`;
  }
}

type ListDialect = Pick<SandboxDialect, 'listEncoding' | 'pageSizeKey'>;

/** A JSON object from a query value; anything else is a 422 naming the parameter. */
function jsonQueryObject(name: string, value: string): JsonObject {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value) as unknown;
  } catch {
    parsed = undefined;
  }
  if (!isJsonObject(parsed)) throw unprocessable(`${name} must be a JSON object, got "${value}".`, ERROR_CODE.invalidValue);
  return parsed;
}

/**
 * Reads the list query in the dialect's encoding (brackets by default:
 * `filter[email]=a%40b.c&pagination[page]=2`). Unknown parameters are rejected rather than
 * ignored, so a client that encodes them another way finds out.
 */
export function parseHolderListQuery(rawQuery: string, dialect: ListDialect = { listEncoding: 'brackets', pageSizeKey: 'limit' }): HolderListQuery {
  const query: HolderListQuery = { filters: [], page: 1, limit: DEFAULT_PAGE_LIMIT, includeVoided: false };
  const filters = new Map<ProfileField, string>();
  const size = dialect.pageSizeKey;
  const names =
    dialect.listEncoding === 'brackets'
      ? { page: 'pagination[page]', size: `pagination[${size}]` }
      : dialect.listEncoding === 'json'
        ? { page: 'pagination.page', size: `pagination.${size}` }
        : { page: 'page', size };
  let page: string | undefined;
  let limit: string | undefined;
  const addFilter = (field: string, value: unknown): void => {
    if (!PROFILE_FIELD_SET.has(field)) {
      throw unprocessable(`Unknown filter field "${field}". Filter on one of: ${PROFILE_FIELDS.join(', ')}.`, ERROR_CODE.notAllowed);
    }
    if (typeof value !== 'string') throw unprocessable(`Filter "${field}" must be a string.`, ERROR_CODE.invalidValue);
    filters.set(field as ProfileField, value); // PHP semantics: a repeated key keeps the last value
  };
  const unknown = (key: string): never => {
    throw unprocessable(`Unknown query parameter "${key}". Allowed: ${parametersHelp(dialect)}.`, ERROR_CODE.notAllowed);
  };
  for (const [key, value] of new URLSearchParams(rawQuery)) {
    if (key === 'include_voided') {
      if (value === 'true' || value === '1') query.includeVoided = true;
      else if (value === 'false' || value === '0') query.includeVoided = false;
      else throw unprocessable(`include_voided must be true or false, got "${value}".`, ERROR_CODE.notAllowed);
      continue;
    }
    switch (dialect.listEncoding) {
      case 'brackets': {
        const filterField = /^filter\[(.*)\]$/.exec(key)?.[1];
        if (filterField !== undefined) addFilter(filterField, value);
        else if (key === names.page) page = value;
        else if (key === names.size) limit = value;
        else unknown(key);
        break;
      }
      case 'json':
        if (key === 'filter') for (const [field, wanted] of Object.entries(jsonQueryObject('filter', value))) addFilter(field, wanted);
        else if (key === 'pagination') {
          const pagination = jsonQueryObject('pagination', value);
          for (const [inner, number] of Object.entries(pagination)) {
            if (inner === 'page') page = String(number);
            else if (inner === size) limit = String(number);
            else unknown(`pagination.${inner}`);
          }
        } else unknown(key);
        break;
      case 'flat':
        if (key === names.page) page = value;
        else if (key === names.size) limit = value;
        else if (PROFILE_FIELD_SET.has(key)) addFilter(key, value);
        else unknown(key);
        break;
    }
  }
  if (page !== undefined) {
    if (!/^[1-9]\d{0,8}$/.test(page)) {
      throw unprocessable(`${names.page} must be an integer of 1 or more, got "${page}".`, ERROR_CODE.invalidNumber);
    }
    query.page = Number(page);
  }
  if (limit !== undefined) {
    const n = /^\d{1,4}$/.test(limit) ? Number(limit) : NaN;
    if (!(n >= 1 && n <= MAX_PAGE_LIMIT)) {
      throw unprocessable(`${names.size} must be an integer from 1 to ${MAX_PAGE_LIMIT}, got "${limit}".`, ERROR_CODE.invalidNumber);
    }
    query.limit = n;
  }
  query.filters = [...filters];
  return query;
}
