import { passwordDigest as soapPackageDigest } from 'soap/lib/utils.js';
import { describe, expect, it } from 'vitest';
import { passwordDigest } from './ws-security.ts';

describe('passwordDigest', () => {
  it('computes Base64(SHA-1(nonce bytes + created + password)) as the soap package does', () => {
    const nonce = 'q2GUXjcIHc6Y1JgfQu6lzQ==';
    const created = '2026-12-03T18:23:54Z';
    for (const password of ['p', 'pa&ss "word" <x>', 'Zoë 🚢']) {
      expect(passwordDigest(nonce, created, password)).toBe(soapPackageDigest(nonce, created, password));
    }
  });
});
