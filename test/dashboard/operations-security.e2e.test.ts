import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasErrorCode } from '../../src/core/errors.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { hashPassword, verifyPassword } from '../../src/server/operations/password-hash.ts';
import { registerOperations } from '../../src/server/operations/register-operations.ts';
import { type DashboardHarness, startDashboard } from '../support/dashboard-harness.ts';
import { repoRoot } from '../support/ferry-cli.ts';
import { createMemoryLedger } from '../support/memory-ledger.ts';
import { createRunJobControl } from '../support/run-job-control.ts';

const HOST = '127.0.0.1';
const XSS = '<img src=x onerror=alert(1)>';
const PAGES = ['/', '/runs', '/dead-letters', '/records', '/records?key=1'];

/** The session cookie and CSRF token a page hands a browser. */
async function session(h: DashboardHarness, headers: Record<string, string> = {}) {
  const page = await h.app.inject({ url: '/api/session', headers: { host: HOST, ...headers } });
  return {
    cookie: String(page.headers['set-cookie']).split(';')[0]!,
    token: page.json().csrfToken as string,
  };
}

describe('safe by default', () => {
  let h: DashboardHarness;
  beforeAll(async () => {
    h = await startDashboard({ count: 20, listen: false, integrations: [{ name: 'flow', broken: true }] });
    await h.run('flow');
  });
  afterAll(async () => h?.close());

  it('refuses requests naming another host (DNS rebinding), pages, API and events alike', async () => {
    for (const url of ['/', '/api/runs', '/api/events', '/assets/app.js']) {
      const response = await h.app.inject({ url, headers: { host: 'rebind.attacker.example:8080' } });
      expect(response.statusCode, url).toBe(403);
      expect(response.body).not.toContain('rebind.attacker.example');
    }
    for (const host of ['127.0.0.1:8080', 'localhost:1234', '[::1]:80']) {
      expect((await h.app.inject({ url: '/api/runs', headers: { host } })).statusCode, host).toBe(200);
    }
  });

  it('needs a same-origin Origin and the CSRF token on every POST', async () => {
    const { cookie, token } = await session(h);
    const post = (headers: Record<string, string>) =>
      h.app.inject({
        method: 'POST',
        url: '/api/integrations/flow/pause',
        headers: { host: HOST, ...headers },
      });
    const noOrigin = await post({ cookie, 'x-csrf-token': token });
    expect(noOrigin.statusCode).toBe(403);
    expect(noOrigin.json().error.code).toBe('FERRY_ERR_ACCESS_DENIED');
    expect((await post({ cookie, 'x-csrf-token': token, origin: 'http://evil.example' })).statusCode).toBe(
      403,
    );
    expect((await post({ cookie, 'x-csrf-token': token, origin: 'null' })).statusCode).toBe(403);
    const noToken = await post({ cookie, origin: `http://${HOST}` });
    expect(noToken.statusCode).toBe(403);
    expect(noToken.json().error.code).toBe('FERRY_ERR_ACCESS_DENIED');
    expect((await post({ cookie, origin: `http://${HOST}`, 'x-csrf-token': `${token}x` })).statusCode).toBe(
      403,
    );
    // Another browser's token is worth nothing with this browser's cookie.
    const other = await session(h);
    expect((await post({ cookie, origin: `http://${HOST}`, 'x-csrf-token': other.token })).statusCode).toBe(
      403,
    );
    expect(h.control.get('flow')?.state).toBe('idle');
    const ok = await post({ cookie, origin: `http://${HOST}`, 'x-csrf-token': token });
    expect(ok.statusCode).toBe(200);
    expect(h.control.get('flow')?.state).toBe('paused');
    await h.control.resume('flow');
  });

  it('sends a strict Content-Security-Policy and pages with no inline script or style', async () => {
    for (const url of PAGES) {
      const response = await h.app.inject({ url, headers: { host: HOST } });
      expect(response.statusCode, url).toBe(200);
      expect(response.headers['content-security-policy']).toContain("script-src 'self'");
      expect(response.headers['content-security-policy']).toContain("default-src 'none'");
      expect(response.headers['x-frame-options']).toBe('DENY');
      expect(response.headers['cache-control']).toBe('no-store');
      expect(response.body).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
      expect(response.body).not.toMatch(/\sstyle=|\son[a-z]+=/i);
      expect(response.body).not.toMatch(/(src|href)="(https?:)?\/\//);
    }
    const api = await h.app.inject({ url: '/api/runs', headers: { host: HOST } });
    expect(api.headers['content-security-policy']).toContain("default-src 'none'");
  });

  it('escapes everything a partner sent: names, keys and reasons are text, never markup', async () => {
    const [run] = await h.ledger.listRuns({ limit: 1 });
    await h.ledger.addDeadLetter({
      integration: 'flow',
      key: XSS,
      runId: run!.id,
      state: 'failed',
      record: { customer_id: XSS, first_name: XSS, note: `"><script>alert(2)</script>` },
      body: { customerInfo: { name: XSS } },
      reasons: [
        { field: `a${XSS}`, code: `c${XSS}`, message: `refused ${XSS} </pre><script>alert(3)</script>` },
      ],
    });
    await h.ledger.flush();
    const [letter] = await h.ledger.listDeadLetters({ limit: 1 });
    const urls = [
      '/dead-letters',
      `/dead-letters?reason=${encodeURIComponent(`c${XSS}`)}`,
      `/records?key=${encodeURIComponent(XSS)}`,
      `/runs?integration=${encodeURIComponent(XSS)}`,
      `/runs/${encodeURIComponent(XSS)}`,
    ];
    for (const url of urls) {
      const response = await h.app.inject({ url, headers: { host: HOST } });
      expect(response.body, url).not.toContain('<img src=x');
      expect(response.body, url).not.toMatch(/<script>alert/);
    }
    const record = await h.app.inject({
      url: `/records?key=${encodeURIComponent(XSS)}`,
      headers: { host: HOST },
    });
    expect(record.body).toContain('&lt;img src=x onerror=alert(1)&gt;');
    const confirm = await (async () => {
      const { cookie, token } = await session(h);
      return h.app.inject({
        method: 'POST',
        url: '/dead-letters/confirm',
        headers: {
          host: HOST,
          origin: `http://${HOST}`,
          cookie,
          'content-type': 'application/x-www-form-urlencoded',
        },
        payload: `_csrf=${encodeURIComponent(token)}&action=purge-selected&id=${letter!.id}`,
      });
    })();
    expect(confirm.statusCode).toBe(200);
    expect(confirm.body).toContain('Delete 1 dead letter');
    expect(confirm.body).not.toContain('<img src=x');
  });

  it('keeps links of notices to a fixed vocabulary', async () => {
    const page = await h.app.inject({
      url: `/?notice=${encodeURIComponent(`started:${XSS}`)}`,
      headers: { host: HOST },
    });
    expect(page.body).not.toContain('role="status">Started');
    expect(page.body).not.toContain('<img');
  });
});

describe('authentication', () => {
  const token = 'a-long-enough-random-token-for-tests-0123456789';
  let h: DashboardHarness;
  let passwordHash: string;
  beforeAll(async () => {
    passwordHash = await hashPassword('correct horse battery');
    h = await startDashboard({
      count: 5,
      listen: false,
      access: { token, users: [{ name: 'ada', passwordHash }] },
    });
  });
  afterAll(async () => h?.close());

  it('hashes passwords with scrypt and verifies them in constant time', async () => {
    expect(passwordHash).toMatch(/^scrypt\$17\$8\$1\$/);
    expect(await verifyPassword('correct horse battery', passwordHash)).toBe(true);
    expect(await verifyPassword('correct horse batterY', passwordHash)).toBe(false);
    expect(await verifyPassword('x', 'not-a-hash')).toBe(false);
    await expect(hashPassword('short')).rejects.toThrow(/at least 12/);
  });

  it('ferry hash-password reads the password from stdin, never from an argument', async () => {
    const run = (input: string) =>
      spawnSync(process.execPath, [join(repoRoot, 'bin/ferry.js'), 'hash-password'], {
        input,
        encoding: 'utf8',
      });
    const made = run('a password long enough\n');
    expect(made.status, made.stderr).toBe(0);
    expect(await verifyPassword('a password long enough', made.stdout.trim())).toBe(true);
    const short = run('short\n');
    expect(short.status).toBe(2);
    expect(short.stderr).toContain('at least 12 characters');
  });

  it('answers the API 401 and sends pages to sign in without credentials', async () => {
    const api = await h.app.inject({ url: '/api/runs', headers: { host: HOST } });
    expect(api.statusCode).toBe(401);
    expect(api.json().error.code).toBe('FERRY_ERR_ACCESS_DENIED');
    const wrong = await h.app.inject({
      url: '/api/runs',
      headers: { host: HOST, authorization: 'Bearer nope' },
    });
    expect(wrong.statusCode).toBe(401);
    const page = await h.app.inject({ url: '/dead-letters?state=failed', headers: { host: HOST } });
    expect(page.statusCode).toBe(303);
    expect(page.headers.location).toBe('/login?next=%2Fdead-letters%3Fstate%3Dfailed');
    expect((await h.app.inject({ url: '/assets/app.css', headers: { host: HOST } })).statusCode).toBe(200);
  });

  it('takes the bearer token, POSTs included (a browser never sends it on its own)', async () => {
    const authorization = `Bearer ${token}`;
    expect(
      (await h.app.inject({ url: '/api/runs', headers: { host: HOST, authorization } })).statusCode,
    ).toBe(200);
    const run = await h.app.inject({
      method: 'POST',
      url: '/api/integrations/customers-to-orders/run',
      headers: { host: HOST, authorization },
    });
    expect(run.statusCode).toBe(202);
    await h.control.idle();
    expect(h.log).toContainEqual(expect.objectContaining({ action: 'run_now', operator: 'token' }));
  });

  it('signs a user in with name and password, binds the CSRF token to the session, and signs out', async () => {
    const login = await h.app.inject({ url: '/login', headers: { host: HOST } });
    expect(login.body).toContain('autocomplete="current-password"');
    const csrfCookie = String(login.headers['set-cookie']).split(';')[0]!;
    const csrf = /name="_csrf" value="([^"]+)"/.exec(login.body)![1]!;
    const form = (fields: Record<string, string>, cookie = csrfCookie) =>
      h.app.inject({
        method: 'POST',
        url: '/login',
        headers: {
          host: HOST,
          origin: `http://${HOST}`,
          cookie,
          'content-type': 'application/x-www-form-urlencoded',
        },
        payload: new URLSearchParams(fields).toString(),
      });
    const refused = await form({ _csrf: csrf, name: 'ada', password: 'wrong password!', next: '/runs' });
    expect(refused.statusCode).toBe(401);
    expect(refused.headers['set-cookie'] ?? '').not.toContain('ferry_session');
    const signedIn = await form({
      _csrf: csrf,
      name: 'ada',
      password: 'correct horse battery',
      next: '//evil.example/',
    });
    expect(signedIn.statusCode).toBe(303);
    expect(signedIn.headers.location).toBe('/');
    const sessionCookie = String(signedIn.headers['set-cookie']).split(';')[0]!;
    expect(sessionCookie).toMatch(/^ferry_session=/);
    expect(String(signedIn.headers['set-cookie'])).toMatch(/HttpOnly; SameSite=Strict/);
    const cookie = `${csrfCookie}; ${sessionCookie}`;
    const overview = await h.app.inject({ url: '/', headers: { host: HOST, cookie } });
    expect(overview.statusCode).toBe(200);
    expect(overview.body).toContain('Signed in as ada');
    // The token from before signing in is bound to no session: refused now.
    const stale = await h.app.inject({
      method: 'POST',
      url: '/api/integrations/customers-to-orders/pause',
      headers: { host: HOST, origin: `http://${HOST}`, cookie, 'x-csrf-token': csrf },
    });
    expect(stale.statusCode).toBe(403);
    const fresh = /name="csrf-token" content="([^"]+)"/.exec(overview.body)![1]!;
    const paused = await h.app.inject({
      method: 'POST',
      url: '/api/integrations/customers-to-orders/pause',
      headers: { host: HOST, origin: `http://${HOST}`, cookie, 'x-csrf-token': fresh },
    });
    expect(paused.statusCode).toBe(200);
    expect(h.log).toContainEqual(expect.objectContaining({ action: 'pause', operator: 'ada' }));
    const out = await h.app.inject({
      method: 'POST',
      url: '/logout',
      headers: {
        host: HOST,
        origin: `http://${HOST}`,
        cookie,
        'content-type': 'application/x-www-form-urlencoded',
      },
      payload: `_csrf=${encodeURIComponent(fresh)}`,
    });
    expect(out.statusCode).toBe(303);
    expect((await h.app.inject({ url: '/api/runs', headers: { host: HOST, cookie } })).statusCode).toBe(401);
  });
});

describe('binding', () => {
  async function register(access: Parameters<typeof registerOperations>[1]['access']) {
    const ledger = createMemoryLedger();
    const control = createRunJobControl({ ledger, configs: [], logger: createLogger({ level: 'silent' }) });
    const app = Fastify();
    try {
      await registerOperations(app, { ledger, control, access });
      return undefined;
    } catch (error) {
      return error;
    } finally {
      await app.close();
    }
  }

  it('refuses to serve beyond loopback without authentication, saying what to do', async () => {
    for (const host of ['0.0.0.0', '::', '192.168.1.20', 'ferry.example.com']) {
      const error = await register({ host });
      expect(hasErrorCode(error, 'FERRY_ERR_UNSAFE_BINDING'), host).toBe(true);
      expect(String(error)).toContain('without authentication');
      expect(String(error)).toContain('listen on 127.0.0.1');
    }
    for (const host of ['127.0.0.1', '127.0.0.2', 'localhost', '::1'])
      expect(await register({ host }), host).toBeUndefined();
    expect(await register({ host: '0.0.0.0', token: 'x'.repeat(32) })).toBeUndefined();
  });

  it('refuses a short token and a password hash ferry did not make', async () => {
    expect(String(await register({ host: '0.0.0.0', token: 'secret' }))).toContain('at least 24');
    const error = await register({ host: '0.0.0.0', users: [{ name: 'bob', passwordHash: 'md5:abc' }] });
    expect(String(error)).toContain('password hash of user bob');
  });
});
