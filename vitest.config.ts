import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  // The examples import ferry by its package name, as a user's project does; tests run them on the sources.
  resolve: {
    alias: [{ find: /^ferry$/, replacement: fileURLToPath(new URL('src/index.ts', import.meta.url)) }],
  },
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    // One throwaway PostgreSQL cluster for the run: the PostgreSQL ledger's tests need a real server.
    globalSetup: ['test/support/postgres-global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // graphql 17 ships a development build behind an export condition vite resolves and Node does not: an
    // externalised graphql-http would load the other copy and refuse our schema as "from another realm".
    server: { deps: { inline: ['graphql-http'] } },
  },
});
