import { describe, expect, it } from 'vitest';
import {
  allowedHostNames,
  createSessionStore,
  createSignInThrottle,
  hostNameOf,
  isLoopbackHost,
  tokenMatches,
} from './access.ts';
import { escapeHtml, href, html } from './html.ts';

describe('access', () => {
  it('tells loopback hosts from the rest', () => {
    for (const host of ['127.0.0.1', '127.8.9.10', '::1', '[::1]', 'localhost', 'LOCALHOST']) {
      expect(isLoopbackHost(host), host).toBe(true);
    }
    for (const host of ['0.0.0.0', '::', '10.0.0.1', 'localhost.example.com', '128.0.0.1']) {
      expect(isLoopbackHost(host), host).toBe(false);
    }
  });

  it('reads the host name of a Host header, refusing malformed ones', () => {
    expect(hostNameOf('127.0.0.1:8080')).toBe('127.0.0.1');
    expect(hostNameOf('[::1]:8080')).toBe('::1');
    expect(hostNameOf('Ferry.Example.COM')).toBe('ferry.example.com');
    for (const bad of [undefined, '', 'a b', 'user@host', 'host/path', '[::1', 'a:b:c']) {
      expect(hostNameOf(bad), String(bad)).toBeUndefined();
    }
  });

  it('allows loopback names, the listening host and the configured names, not a wildcard address', () => {
    expect([...allowedHostNames({ host: '0.0.0.0', allowedHosts: ['Ferry.Example.com'] })].sort()).toEqual([
      '127.0.0.1',
      '::1',
      'ferry.example.com',
      'localhost',
    ]);
    expect(allowedHostNames({ host: '10.1.2.3' }).has('10.1.2.3')).toBe(true);
  });

  it('compares tokens whole', () => {
    const access = { host: '127.0.0.1', token: 'abcdefghijklmnopqrstuvwxyz' };
    expect(tokenMatches(access, 'abcdefghijklmnopqrstuvwxyz')).toBe(true);
    expect(tokenMatches(access, 'abcdefghijklmnopqrstuvwxy')).toBe(false);
    expect(tokenMatches({ host: '127.0.0.1' }, '')).toBe(false);
  });

  it('expires sessions and forgets the oldest past the limit', () => {
    let now = 0;
    const sessions = createSessionStore({ ttlMs: 1000, max: 2, clock: () => now });
    const a = sessions.create('ada');
    const b = sessions.create('bob');
    expect(sessions.user(a)).toBe('ada');
    const c = sessions.create('cy');
    expect(sessions.user(a)).toBeUndefined();
    expect(sessions.user(b)).toBe('bob');
    now = 1000;
    expect(sessions.user(c)).toBeUndefined();
    expect(sessions.user(undefined)).toBeUndefined();
  });

  it('refuses a client after too many failed sign-ins, for a while', () => {
    let now = 0;
    const throttle = createSignInThrottle({ max: 2, windowMs: 100, clock: () => now });
    throttle.failed('1.2.3.4');
    expect(throttle.allowed('1.2.3.4')).toBe(true);
    throttle.failed('1.2.3.4');
    expect(throttle.allowed('1.2.3.4')).toBe(false);
    expect(throttle.allowed('5.6.7.8')).toBe(true);
    now = 101;
    expect(throttle.allowed('1.2.3.4')).toBe(true);
  });
});

describe('html', () => {
  it('escapes every value, in text and attributes, and keeps Html as it is', () => {
    const name = `<img src=x onerror="alert('1')">&`;
    expect(escapeHtml(name)).toBe('&lt;img src=x onerror=&quot;alert(&#39;1&#39;)&quot;&gt;&amp;');
    const inner = html`<b>${name}</b>`;
    expect(html`<p title="${name}">${inner}${[inner, null, false, undefined, 0]}</p>`.value).toBe(
      `<p title="${escapeHtml(name)}"><b>${escapeHtml(name)}</b><b>${escapeHtml(name)}</b>0</p>`,
    );
  });

  it('builds links with every parameter encoded and unset ones left out', () => {
    expect(href('/dead-letters', { reason: 'a&b=c', field: undefined, all: false, n: 0, key: '<x>' })).toBe(
      '/dead-letters?reason=a%26b%3Dc&n=0&key=%3Cx%3E',
    );
    expect(href('/runs')).toBe('/runs');
  });
});
