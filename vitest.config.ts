import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // graphql 17 ships a development build behind an export condition vite resolves and Node does not: an
    // externalised graphql-http would load the other copy and refuse our schema as "from another realm".
    server: { deps: { inline: ['graphql-http'] } },
  },
});
