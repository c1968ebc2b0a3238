import jsonata from 'jsonata';
import { describe, expect, it } from 'vitest';
import { lintExpression } from './lint-expression.ts';

const closed = {
  type: 'object',
  additionalProperties: false,
  properties: {
    email: { type: 'string' },
    address: { type: 'object', properties: { street: { type: 'string' }, zip: { type: 'string' } } },
    tags: { type: 'array', items: { type: 'object', properties: { label: { type: 'string' } } } },
  },
};

function lint(expr: string, schema: Record<string, unknown> | null = closed) {
  return lintExpression(jsonata(expr).ast(), schema, 'customer.schema.json');
}

describe('lintExpression', () => {
  it('reports a call to a function JSONata does not have, with the closest one', () => {
    const [problem, ...rest] = lint('$lowercse(email)');
    expect(rest).toEqual([]);
    expect(problem).toMatchObject({ severity: 'error', position: 9 });
    expect(problem?.message).toBe(
      'calls $lowercse(), which is not a JSONata function; did you mean $lowercase()?',
    );
  });

  it('accepts built-ins, functions bound in the expression and lambda parameters', () => {
    expect(lint('( $f := function($g) { $g(email) }; $f($uppercase) )')).toEqual([]);
    expect(lint('$trim($replace(email, /x/, ""))')).toEqual([]);
  });

  it('reports a record field a closed input schema does not describe as an error', () => {
    const [problem] = lint('$string(emial)');
    expect(problem?.severity).toBe('error');
    expect(problem?.message).toContain('reads "emial", but customer.schema.json describes no field "emial"');
    expect(problem?.message).toContain('did you mean "email"?');
  });

  it('reports a nested field an open part of the schema does not describe as a warning', () => {
    const [problem] = lint('address.stret');
    expect(problem).toMatchObject({ severity: 'warning' });
    expect(problem?.message).toContain('did you mean "address.street"?');
  });

  it('follows arrays into their items and leaves filters and later steps alone', () => {
    expect(lint('tags.label')).toEqual([]);
    expect(lint('[email, address.zip][$type($) = "string"]')).toEqual([]);
    expect(lint('tags[label = "x"].label')).toEqual([]);
    expect(lint('$$.address.zip & $.email')).toEqual([]);
    expect(lint('$.nope')[0]?.severity).toBe('error');
  });

  it('checks no field without an input schema', () => {
    expect(lint('anything.at.all', null)).toEqual([]);
  });
});
