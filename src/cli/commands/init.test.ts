import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { askInitQuestions } from './init.ts';

describe('askInitQuestions', () => {
  it('asks each question in turn, keeps defaults on empty answers and asks again on a bad choice', async () => {
    const input = new PassThrough();
    const output = new PassThrough();
    // name (default), source URL, source auth (bad, then bearer), paging, dest URL, dest auth, token URL
    const replies = [
      '',
      'https://crm.example.com/c',
      'basic',
      'bearer',
      'cursor',
      '',
      'oauth2',
      'https://id.example.com/token',
    ];
    let shown = '';
    // readline drops lines that arrive before its question, so each reply waits for its prompt.
    output.on('data', (chunk: Buffer) => {
      shown += chunk.toString('utf8');
      if (shown.endsWith(']: ')) input.write(`${replies.shift()}\n`);
    });
    const answers = askInitQuestions({ dir: '/tmp/My Shop' }, input, output);
    expect(await answers).toEqual({
      dir: '/tmp/My Shop',
      name: 'my-shop',
      sourceUrl: 'https://crm.example.com/c',
      sourceAuth: 'bearer',
      paging: 'cursor',
      destAuth: 'oauth2',
      destTokenUrl: 'https://id.example.com/token',
    });
    expect(shown).toContain('Integration name [my-shop]: ');
    expect(shown).toContain('please answer one of api_key, bearer, none');
  });
});
