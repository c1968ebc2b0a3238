import { describe, expect, it } from 'vitest';
import { parseYamlTree } from './yaml-tree.ts';

function syntaxError(text: string): string {
  try {
    parseYamlTree(text, 'flow.yaml');
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('expected a syntax error');
}

describe('parseYamlTree', () => {
  it('reports an unclosed double quote where it opened, not at the end of the file', () => {
    const message = syntaxError('version: 1\nname: "flow\nsource:\n  type: rest\nmapping: ./m.yaml\n');
    expect(message).toContain('flow.yaml:2:7 this " quote is never closed');
  });

  it('reports an unclosed single quote inside a flow mapping where it opened', () => {
    const message = syntaxError("version: 1\nname: 'ok'\nheaders: {a: 'it''s}\nmapping: ./m.yaml\n");
    expect(message).toContain("flow.yaml:3:14 this ' quote is never closed");
  });

  it('keeps the parser position for other syntax errors', () => {
    expect(syntaxError('a: 1\na: 2\n')).toMatch(/flow\.yaml:2:1 /);
  });
});
