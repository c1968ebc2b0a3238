// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${...} is the config reference syntax under test, not a template
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

  it('names an unquoted ${VAR} inside a flow mapping as the one cause, with where to quote it', () => {
    const text =
      'version: 1\nsource:\n  pagination: { type: page_number, page_size: ${PAGE_SIZE} }\n  retry: { max_attempts: 3 }\n';
    const message = syntaxError(text);
    expect(message).toContain(
      'flow.yaml:3:47 ${PAGE_SIZE} inside { } or [ ] must be quoted ("${PAGE_SIZE}")',
    );
    expect(message.split('\n')).toHaveLength(2);
  });

  it('parses a quoted ${VAR} inside a flow mapping, and block style unquoted', () => {
    const flow = parseYamlTree('retry: { max_attempts: "${N}" }\nsize: ${M}\n', 'ok.yaml');
    expect(flow.value).toEqual({ retry: { max_attempts: '${N}' }, size: '${M}' });
  });

  it('keeps the parser position for other syntax errors', () => {
    expect(syntaxError('a: 1\na: 2\n')).toMatch(/flow\.yaml:2:1 /);
  });
});
