// The MCP Registry's server.json shape (schema 2025-12-11), restated as checks: the schema's licence is unclear, so no copy is committed.

export const SERVER_SCHEMA_URL = 'https://static.modelcontextprotocol.io/schemas/2025-12-11/server.schema.json';

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => v !== null && typeof v === 'object' && !Array.isArray(v);
/** Version ranges and "latest" are rejected by the registry. */
const isExactVersion = (v: unknown): boolean => typeof v === 'string' && v.length > 0 && v.length <= 255 && v !== 'latest' && !/^[\^~<>=]|\.(x|\*)(\.|$)|\s/.test(v);

const SERVER_KEYS = new Set(['$schema', 'name', 'title', 'description', 'version', 'repository', 'websiteUrl', 'icons', 'packages', 'remotes', '_meta']);
/** Package is `additionalProperties: false` in the schema. */
const PACKAGE_KEYS = new Set(['registryType', 'registryBaseUrl', 'identifier', 'version', 'fileSha256', 'runtimeHint', 'transport', 'runtimeArguments', 'packageArguments', 'environmentVariables']);
const INPUT_FORMATS = new Set(['string', 'number', 'boolean', 'filepath']);

/** Every way `doc` departs from the registry's shape; empty when it conforms. */
export function serverJsonProblems(doc: unknown): string[] {
  const problems: string[] = [];
  const need = (ok: boolean, message: string): void => {
    if (!ok) problems.push(message);
  };
  if (!isObject(doc)) return ['server.json must be an object'];
  for (const key of Object.keys(doc)) need(SERVER_KEYS.has(key), `unknown top-level key ${key}`);
  need(doc.$schema === SERVER_SCHEMA_URL, `$schema must be ${SERVER_SCHEMA_URL}`);
  need(typeof doc.name === 'string' && /^[a-zA-Z0-9.-]+\/[a-zA-Z0-9._-]+$/.test(doc.name) && doc.name.length >= 3 && doc.name.length <= 200, 'name must be reverse-DNS namespace/name (3-200 chars)');
  need(typeof doc.description === 'string' && doc.description.length >= 1 && doc.description.length <= 100, 'description must be 1-100 characters');
  need(isExactVersion(doc.version), 'version must be one exact version');
  need(doc.title === undefined || (typeof doc.title === 'string' && doc.title.length >= 1 && doc.title.length <= 100), 'title must be 1-100 characters');
  need(Array.isArray(doc.packages) && doc.packages.length > 0, 'packages must be a non-empty array');
  for (const [i, pkg] of (Array.isArray(doc.packages) ? doc.packages : []).entries()) {
    const at = `packages[${i}]`;
    if (!isObject(pkg)) {
      problems.push(`${at} must be an object`);
      continue;
    }
    for (const key of Object.keys(pkg)) need(PACKAGE_KEYS.has(key), `${at}: unknown key ${key}`);
    for (const key of ['registryType', 'identifier']) need(typeof pkg[key] === 'string' && pkg[key] !== '', `${at}.${key} is required`);
    need(isExactVersion(pkg.version), `${at}.version must be one exact version`);
    need(isObject(pkg.transport) && ['stdio', 'streamable-http', 'sse'].includes(String(pkg.transport.type)), `${at}.transport.type must be stdio, streamable-http or sse`);
    need(pkg.fileSha256 === undefined || (typeof pkg.fileSha256 === 'string' && /^[a-f0-9]{64}$/.test(pkg.fileSha256)), `${at}.fileSha256 must be 64 hex digits`);
    if (pkg.registryType === 'mcpb') need(typeof pkg.identifier === 'string' && pkg.identifier.startsWith('https://'), `${at}: an mcpb identifier is the bundle's https URL`);
    const vars = pkg.environmentVariables;
    need(vars === undefined || Array.isArray(vars), `${at}.environmentVariables must be an array`);
    for (const [j, v] of (Array.isArray(vars) ? vars : []).entries()) {
      const vat = `${at}.environmentVariables[${j}]`;
      if (!isObject(v)) {
        problems.push(`${vat} must be an object`);
        continue;
      }
      need(typeof v.name === 'string' && v.name !== '', `${vat}.name is required`);
      for (const key of ['description', 'value', 'default', 'placeholder']) need(v[key] === undefined || typeof v[key] === 'string', `${vat}.${key} must be a string`);
      for (const key of ['isRequired', 'isSecret']) need(v[key] === undefined || typeof v[key] === 'boolean', `${vat}.${key} must be a boolean`);
      need(v.format === undefined || INPUT_FORMATS.has(String(v.format)), `${vat}.format must be one of ${[...INPUT_FORMATS].join(', ')}`);
      need(v.choices === undefined || (Array.isArray(v.choices) && v.choices.every((c) => typeof c === 'string')), `${vat}.choices must be strings`);
    }
  }
  return problems;
}

/** What the official registry adds at publish time: an mcpb package must carry its file's sha256. */
export function publishProblems(doc: unknown): string[] {
  const problems = serverJsonProblems(doc);
  const packages = isObject(doc) && Array.isArray(doc.packages) ? doc.packages : [];
  for (const [i, pkg] of packages.entries()) {
    if (isObject(pkg) && pkg.registryType === 'mcpb' && typeof pkg.fileSha256 !== 'string') problems.push(`packages[${i}]: an mcpb package needs fileSha256`);
  }
  return problems;
}
