import { describe, expect, it } from 'vitest';
import { FerryError } from '../core/errors.ts';
import { formatError } from './print-error.ts';

describe('formatError', () => {
  it('prints a multi-line config error as lines with the code on the headline', () => {
    const error = new FerryError(
      'FERRY_ERR_CONFIG_INVALID',
      'flow.yaml: 2 problems in the integration:\n  flow.yaml:3:1 source.url: expected a URL\n  flow.yaml:9:3 name: expected a string',
    );
    expect(formatError(error).split('\n')).toEqual([
      'ferry: flow.yaml: 2 problems in the integration: [FERRY_ERR_CONFIG_INVALID]',
      '  flow.yaml:3:1 source.url: expected a URL',
      '  flow.yaml:9:3 name: expected a string',
    ]);
    expect(formatError(error)).not.toContain('\\u000a');
  });

  it('keeps escape sequences from a peer escaped', () => {
    const text = formatError(new FerryError('FERRY_ERR_HTTP_STATUS', 'HTTP 400: \u001b[2J\rcleared'));
    expect(text).toBe('ferry: HTTP 400: \\u001b[2J\\u000dcleared [FERRY_ERR_HTTP_STATUS]');
  });

  it('indents a quoted line break so it cannot forge a line of its own', () => {
    const lines = formatError(new Error('HTTP 400: bad\nferry: all good')).split('\n');
    expect(lines).toEqual([
      'ferry: internal error (a bug; please report it): HTTP 400: bad',
      '  ferry: all good',
    ]);
  });
});
