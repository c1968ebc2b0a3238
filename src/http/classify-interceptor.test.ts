import { describe, expect, it } from 'vitest';
import type { HttpRequest, HttpResponse } from '../core/http-types.ts';
import { classifyInterceptor } from './classify-interceptor.ts';

const request: HttpRequest = {
  method: 'POST',
  url: 'https://api.example.com/graphql',
  headers: {},
  endpoint: 'source',
};

describe('classifyInterceptor', () => {
  it('attaches one decision per response, with the rules and the body reading applied', async () => {
    let calls = 0;
    const graphqlErrors = (response: HttpResponse) => {
      calls++;
      return response.body.includes('"errors"')
        ? ({ type: 'fail', reason: 'GraphQL errors' } as const)
        : undefined;
    };
    const answer = (status: number, body: string) => async (): Promise<HttpResponse> => ({
      status,
      headers: {},
      body: Buffer.from(body),
      url: request.url,
    });
    const judge = classifyInterceptor([{ status: 404, action: 'end_of_data' }], {
      classifyBody: graphqlErrors,
    });
    expect((await judge(answer(200, '{"errors":[{"message":"no"}]}'))(request)).action).toEqual({
      type: 'fail',
      reason: 'GraphQL errors',
    });
    expect((await judge(answer(200, '{"data":{}}'))(request)).action).toEqual({ type: 'success' });
    expect((await judge(answer(404, ''))(request)).action?.type).toBe('end_of_data');
    // The rule decided the 404 before the body reading was asked.
    expect(calls).toBe(2);
  });
});
