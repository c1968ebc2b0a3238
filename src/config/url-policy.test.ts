import { describe, expect, it } from 'vitest';
import { insecureUrlReason, isLoopbackUrl } from './url-policy.ts';

describe('isLoopbackUrl', () => {
  it('accepts 127.0.0.0/8, ::1 and localhost', () => {
    for (const url of [
      'http://127.0.0.1/',
      'http://127.255.0.9:80/x',
      'http://[::1]:8080/',
      'http://localhost:3000/',
    ]) {
      expect(isLoopbackUrl(url)).toBe(true);
    }
  });

  it('rejects everything else, including look-alikes', () => {
    for (const url of [
      'http://128.0.0.1/',
      'http://10.0.0.1/',
      'http://localhost.example.com/',
      'http://127.0.0.1.nip.io/',
      'http://[::2]/',
      'not a url',
    ]) {
      expect(isLoopbackUrl(url)).toBe(false);
    }
  });
});

describe('insecureUrlReason', () => {
  it('only objects to plain http off loopback', () => {
    expect(insecureUrlReason('https://api.example.com/')).toBeUndefined();
    expect(insecureUrlReason('http://127.0.0.1:9/{key}')).toBeUndefined();
    expect(insecureUrlReason('http://api.example.com/{key}')).toContain('api.example.com');
  });
});
