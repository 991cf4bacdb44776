// The HTTP service as an OAuth 2.1 resource server: JWTs from a local issuer (its own JWKS on 127.0.0.1), checked for issuer, audience, expiry, subject and scopes.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../../src/sandbox/sandbox.js';
import { connect, raw, startHttpService, type HttpService } from '../support/binary.js';

const ISSUER = 'https://issuer.test';
const AUDIENCE = 'https://mcp.example.test/mcp';
const MCP_HEADERS = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
const listTools = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' });

describe('OAuth 2.1 resource server', () => {
  let jwks: Server;
  let signing: CryptoKey;
  let stranger: CryptoKey;
  let north: Sandbox;
  let south: Sandbox;
  let service: HttpService;

  const token = (claims: { sub?: string; scope?: string; aud?: string; iss?: string; exp?: number }, key: CryptoKey = signing): Promise<string> => {
    const now = Math.floor(Date.now() / 1000);
    const jwt = new SignJWT({ ...(claims.scope !== undefined ? { scope: claims.scope } : {}) })
      .setProtectedHeader({ alg: 'ES256', kid: 'test-key' })
      .setIssuer(claims.iss ?? ISSUER)
      .setAudience(claims.aud ?? AUDIENCE)
      .setIssuedAt(now)
      .setExpirationTime(claims.exp ?? now + 3600);
    if (claims.sub !== undefined) jwt.setSubject(claims.sub);
    return jwt.sign(key);
  };

  beforeAll(async () => {
    const issuerKeys = await generateKeyPair('ES256');
    signing = issuerKeys.privateKey;
    // Same kid, other key: a forgery the JWKS cannot verify.
    stranger = (await generateKeyPair('ES256')).privateKey;
    const keys: JWK[] = [{ ...(await exportJWK(issuerKeys.publicKey)), kid: 'test-key', alg: 'ES256', use: 'sig' }];
    jwks = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ keys }));
    });
    await new Promise<void>((r) => jwks.listen(0, '127.0.0.1', r));
    const jwksUrl = `http://127.0.0.1:${(jwks.address() as AddressInfo).port}/jwks.json`;
    north = await startSandbox({ apiKey: 'north-key', apiSecret: 'north-secret-1234' });
    south = await startSandbox({ apiKey: 'south-key', apiSecret: 'south-secret-5678' });
    const file = join(mkdtempSync(join(tmpdir(), 'ct-oauth-')), 'accounts.json');
    writeFileSync(
      file,
      JSON.stringify({
        accounts: {
          north: { subjects: ['alice'], settings: { COUPONTOOLS_API_KEY: 'north-key', COUPONTOOLS_API_SECRET: 'north-secret-1234', COUPONTOOLS_BASE_URL: north.url } },
          south: { subjects: ['bob'], settings: { COUPONTOOLS_API_KEY: 'south-key', COUPONTOOLS_API_SECRET: 'south-secret-5678', COUPONTOOLS_BASE_URL: south.url } },
        },
      }),
    );
    service = await startHttpService(['--public-url', AUDIENCE, '--allowed-hosts', 'mcp.example.test'], {
      COUPONTOOLS_ACCOUNTS_FILE: file,
      COUPONTOOLS_OAUTH_ISSUER: ISSUER,
      COUPONTOOLS_OAUTH_JWKS_URL: jwksUrl,
    });
  });

  afterAll(async () => {
    expect((await service?.stop())?.code).toBe(0);
    await new Promise((r) => jwks?.close(r));
    await north?.close();
    await south?.close();
  });

  const post = async (bearer: string | undefined): Promise<{ status: number; challenge: string; body: string }> => {
    const r = await raw(service.url, 'POST', { ...MCP_HEADERS, ...(bearer ? { authorization: `Bearer ${bearer}` } : {}) }, listTools);
    return { status: r.status, challenge: String(r.headers['www-authenticate'] ?? ''), body: r.body };
  };

  it('serves the protected resource metadata (RFC 9728) and points to it from the 401 challenge', async () => {
    const base = service.url.replace(/\/mcp$/, '');
    for (const path of ['/.well-known/oauth-protected-resource', '/.well-known/oauth-protected-resource/mcp']) {
      const r = await raw(`${base}${path}`, 'GET', {});
      expect(r.status).toBe(200);
      expect(JSON.parse(r.body)).toMatchObject({
        resource: AUDIENCE,
        authorization_servers: [ISSUER],
        scopes_supported: ['coupontools:read', 'coupontools:write', 'coupontools:destructive'],
      });
    }
    const none = await post(undefined);
    expect(none.status).toBe(401);
    expect(none.challenge).toContain('resource_metadata="https://mcp.example.test/.well-known/oauth-protected-resource/mcp"');
  });

  it('a subject sees only the tools its scopes allow, on its own account', async () => {
    const reader = await connect(service.url, await token({ sub: 'alice', scope: 'coupontools:read' }));
    expect((await reader.listTools()).tools.map((t) => t.name).sort()).toEqual(['get_user', 'list_loyalty_cards', 'list_users']);
    await reader.close();
    const writer = await connect(service.url, await token({ sub: 'alice', scope: 'coupontools:read coupontools:write' }));
    const names = (await writer.listTools()).tools.map((t) => t.name);
    expect(names).toContain('add_stamps');
    // Destructive tools (and a push that may broadcast) need the destructive scope.
    expect(names).not.toContain('delete_user');
    expect(names).not.toContain('send_push_notification');
    await writer.close();
    const full = await connect(service.url, await token({ sub: 'bob', scope: 'coupontools:read coupontools:write coupontools:destructive' }));
    expect((await full.listTools()).tools).toHaveLength(12);
    north.clearRequests();
    south.clearRequests();
    await full.callTool({ name: 'list_loyalty_cards', arguments: {} });
    expect(south.requests.map((r) => r.headers['x-api-key'])).toEqual(['south-key']);
    expect(north.requests).toHaveLength(0);
    await full.close();
  });

  it('refuses expired, foreign-audience, foreign-issuer and wrongly signed tokens with 401 invalid_token', async () => {
    const past = Math.floor(Date.now() / 1000) - 3600;
    const cases: Array<[string, Promise<string>]> = [
      ['expired', token({ sub: 'alice', scope: 'coupontools:read', exp: past })],
      ['audience', token({ sub: 'alice', scope: 'coupontools:read', aud: 'https://other.example/mcp' })],
      ['issuer', token({ sub: 'alice', scope: 'coupontools:read', iss: 'https://evil.example' })],
      ['signature', token({ sub: 'alice', scope: 'coupontools:read' }, stranger)],
      ['no subject', token({ scope: 'coupontools:read' })],
    ];
    for (const [what, jwt] of cases) {
      const r = await post(await jwt);
      expect(r.status, what).toBe(401);
      expect(r.challenge, what).toContain('error="invalid_token"');
    }
  });

  it('refuses a subject without an account, and a token without any coupontools scope, with 403', async () => {
    const mallory = await post(await token({ sub: 'mallory', scope: 'coupontools:read' }));
    expect(mallory.status).toBe(403);
    const noScope = await post(await token({ sub: 'alice', scope: 'openid profile' }));
    expect(noScope.status).toBe(403);
    expect(noScope.challenge).toContain('error="insufficient_scope"');
    expect(noScope.challenge).toContain('scope="coupontools:read coupontools:write coupontools:destructive"');
  });
});

