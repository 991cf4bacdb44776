// Who is calling the HTTP service: static bearer tokens (constant-time) or OAuth 2.1 JWTs (jose, against the issuer's JWKS), mapped to an account and scopes.
import { createHash, timingSafeEqual } from 'node:crypto';
import { createRemoteJWKSet, errors as joseErrors, jwtVerify, type JWTPayload } from 'jose';
import type { AccountSpec } from '../../coupontools/accounts.js';
import type { Access } from '../../mcp/tool.js';

/** The OAuth scope that grants each access level. */
export const SCOPES: Record<Access, string> = {
  read: 'coupontools:read',
  write: 'coupontools:write',
  destructive: 'coupontools:destructive',
};
const ALL_ACCESS: ReadonlySet<Access> = new Set<Access>(['read', 'write', 'destructive']);

export interface Caller {
  account: string;
  /** Access levels the caller may use (a static token: all; a JWT: its scopes). */
  access: ReadonlySet<Access>;
}

export type AuthResult =
  | { ok: true; caller: Caller }
  | { ok: false; status: 401 | 403; error: 'invalid_request' | 'invalid_token' | 'insufficient_scope' | undefined; description: string };

export interface OAuthOptions {
  issuer: string;
  jwksUrl: string;
  audience: string;
  /** JWT subject → account; undefined: every valid token acts for `defaultAccount`. */
  subjects: ReadonlyMap<string, string> | undefined;
  defaultAccount: string;
  /** Where /.well-known/oauth-protected-resource is served, for the 401 challenge. */
  metadataUrl: string;
  /** The resource identifier (the public /mcp URL). */
  resource: string;
}

const digest = (token: string): Buffer => createHash('sha256').update(token).digest();

export class Authenticator {
  private readonly tokens: Array<{ digest: Buffer; account: string }>;
  private readonly jwks: ReturnType<typeof createRemoteJWKSet> | undefined;

  constructor(
    accounts: readonly AccountSpec[],
    private readonly oauth: OAuthOptions | undefined,
  ) {
    this.tokens = accounts.flatMap((a) => a.tokens.map((t) => ({ digest: digest(t), account: a.id })));
    this.jwks = oauth ? createRemoteJWKSet(new URL(oauth.jwksUrl)) : undefined;
  }

  /** False when no token and no issuer is configured: every caller is let in (loopback only). */
  get required(): boolean {
    return this.tokens.length > 0 || this.oauth !== undefined;
  }

  /** The RFC 9728 protected resource metadata, when OAuth is on. */
  metadata(): Record<string, unknown> | undefined {
    if (!this.oauth) return undefined;
    return {
      resource: this.oauth.resource,
      authorization_servers: [this.oauth.issuer],
      scopes_supported: Object.values(SCOPES),
      bearer_methods_supported: ['header'],
      resource_name: 'coupontools-mcp',
    };
  }

  /** The WWW-Authenticate value for a refusal. */
  challenge(result: Extract<AuthResult, { ok: false }>): string {
    const parts = ['Bearer realm="coupontools-mcp"'];
    if (this.oauth) parts.push(`resource_metadata="${this.oauth.metadataUrl}"`);
    if (result.error) parts.push(`error="${result.error}"`, `error_description="${result.description.replace(/["\\]/g, '')}"`);
    if (result.error === 'insufficient_scope') parts.push(`scope="${Object.values(SCOPES).join(' ')}"`);
    return parts.join(', ');
  }

  async authenticate(header: string | undefined, fallbackAccount: string): Promise<AuthResult> {
    if (!this.required) return { ok: true, caller: { account: fallbackAccount, access: ALL_ACCESS } };
    if (header === undefined) return { ok: false, status: 401, error: undefined, description: 'Authorization: Bearer <token> is required' };
    const match = /^Bearer\s+(\S+)$/i.exec(header.trim());
    if (!match) return { ok: false, status: 401, error: 'invalid_request', description: 'Authorization must be "Bearer <token>"' };
    const presented = match[1] as string;
    const account = this.staticAccount(presented);
    if (account !== undefined) return { ok: true, caller: { account, access: ALL_ACCESS } };
    if (!this.oauth || !this.jwks) return { ok: false, status: 401, error: 'invalid_token', description: 'unknown token' };
    return this.verifyJwt(presented, this.oauth, this.jwks);
  }

  /** Compares against every token, in constant time each, and never stops early. */
  private staticAccount(presented: string): string | undefined {
    const candidate = digest(presented);
    let found: string | undefined;
    for (const { digest: known, account } of this.tokens) if (timingSafeEqual(candidate, known) && found === undefined) found = account;
    return found;
  }

  private async verifyJwt(token: string, oauth: OAuthOptions, jwks: ReturnType<typeof createRemoteJWKSet>): Promise<AuthResult> {
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, jwks, { issuer: oauth.issuer, audience: oauth.audience, requiredClaims: ['exp', 'sub'] }));
    } catch (err) {
      // The reason (expired, wrong audience, bad signature) helps the caller; the token itself is never echoed.
      const why =
        err instanceof joseErrors.JWTExpired
          ? 'token expired'
          : err instanceof joseErrors.JWTClaimValidationFailed
            ? `claim ${err.claim} is not valid`
            : err instanceof joseErrors.JOSEError
              ? 'token not valid for this resource'
              : 'token could not be checked';
      return { ok: false, status: 401, error: 'invalid_token', description: why };
    }
    const subject = payload.sub as string;
    const account = oauth.subjects ? oauth.subjects.get(subject) : oauth.defaultAccount;
    if (account === undefined) return { ok: false, status: 403, error: 'insufficient_scope', description: 'this subject has no account here' };
    const granted = scopesOf(payload);
    const access = new Set((Object.keys(SCOPES) as Access[]).filter((level) => granted.has(SCOPES[level])));
    if (access.size === 0) return { ok: false, status: 403, error: 'insufficient_scope', description: `the token grants none of ${Object.values(SCOPES).join(', ')}` };
    return { ok: true, caller: { account, access } };
  }
}

/** `scope` (space separated, RFC 9068) or `scp` (a list, as some issuers send). */
function scopesOf(payload: JWTPayload): Set<string> {
  const raw = payload.scope ?? payload.scp;
  if (typeof raw === 'string') return new Set(raw.split(' ').filter((s) => s !== ''));
  if (Array.isArray(raw)) return new Set(raw.filter((s): s is string => typeof s === 'string'));
  return new Set();
}
