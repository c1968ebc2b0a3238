import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  connectorDocsDir,
  registeredConnectors,
  renderConnectorIndex,
  renderConnectorPage,
} from './connector-docs.ts';
import { renderConfigurationReference } from './generate-docs.ts';
import { configurationDocPath } from './write-docs.ts';

describe('renderConfigurationReference', () => {
  it('matches docs/configuration.md (regenerate with `npm run docs`)', () => {
    expect(readFileSync(configurationDocPath, 'utf8')).toBe(renderConfigurationReference());
  });

  it('documents the file format and links each connector to its page', () => {
    const text = renderConfigurationReference();
    expect(text).toContain('[`rest`](connectors/rest.md)');
    expect(text).toContain('| `max_quarantine_ratio` |');
    expect(text).toContain('## Interpolation');
    expect(text).toContain('## Secrets');
  });
});

describe('connector pages', () => {
  it('match docs/connectors/ (regenerate with `npm run docs`), with no page left for an unregistered type', () => {
    const expected = new Map([
      ['README.md', renderConnectorIndex()],
      ...registeredConnectors().map(({ type }): [string, string] => [
        `${type}.md`,
        renderConnectorPage(type),
      ]),
    ]);
    for (const [name, text] of expected)
      expect(readFileSync(join(connectorDocsDir, name), 'utf8')).toBe(text);
    const onDisk = readdirSync(connectorDocsDir).filter((name) => name !== 'writing-a-connector.md');
    expect(onDisk.sort()).toEqual([...expected.keys()].sort());
  });

  it("documents every key, default and secret of a connector's schema", () => {
    const text = renderConnectorPage('rest');
    expect(text).toContain('| `max_attempts` | integer ≥ 1, ≤ 100 | `8` |');
    expect(text).toContain('| `client_secret` | **secret** (reference) | optional |');
    expect(text).toContain('#### `destination.auth` with `type: oauth2_client_credentials`');
    expect(text).toContain('| `half_open_after` | duration | `5s` |');
    expect(text).toContain('## As a source: REST source');
    expect(text).toContain('## As a destination: REST destination');
  });
});
