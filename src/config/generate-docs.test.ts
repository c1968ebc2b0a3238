import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { renderConfigurationReference } from './generate-docs.ts';
import { configurationDocPath } from './write-docs.ts';

describe('renderConfigurationReference', () => {
  it('matches docs/configuration.md (regenerate with `npx node src/config/write-docs.ts`)', () => {
    expect(readFileSync(configurationDocPath, 'utf8')).toBe(renderConfigurationReference());
  });

  it('documents every key, default and secret from the schemas', () => {
    const text = renderConfigurationReference();
    expect(text).toContain('| `max_attempts` | integer ≥ 1, ≤ 100 | `8` |');
    expect(text).toContain('| `client_secret` | **secret** (reference) | optional |');
    expect(text).toContain(
      '### `destination.auth` with `type: oauth2_client_credentials`'.replace('###', '####'),
    );
    expect(text).toContain('| `half_open_after` | duration | `5s` |');
    expect(text).toContain('## Interpolation');
    expect(text).toContain('## Secrets');
  });
});
