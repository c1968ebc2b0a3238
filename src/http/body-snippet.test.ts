import { describe, expect, it } from 'vitest';
import { registerSecret } from '../core/secret-registry.ts';
import { bodySnippet } from './body-snippet.ts';

describe('bodySnippet', () => {
  it('folds white space and shows control characters as ? so a body cannot drive the terminal', () => {
    expect(bodySnippet(Buffer.from('  {"detail":\n\t"Invalid page."}\u001b[31m red \r\n'))).toBe(
      '{"detail": "Invalid page."}?[31m red',
    );
  });

  it('keeps at most the characters asked for and redacts a secret even where the cut falls inside it', () => {
    registerSecret('s3cr3t-value-for-snippet');
    const body = Buffer.from(`token s3cr3t-value-for-snippet ${'x'.repeat(500)}`);
    expect(bodySnippet(body, 40)).toHaveLength(40);
    expect(bodySnippet(body, 40)).not.toContain('s3cr3t');
    expect(bodySnippet(body, 12)).not.toContain('s3cr');
  });

  it('is empty for an empty body', () => {
    expect(bodySnippet(Buffer.alloc(0))).toBe('');
  });
});
