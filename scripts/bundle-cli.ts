// The CLI as one bundle (dist/bundle/), for a faster start: loading the ~700 modules of ferry and the
// libraries a run needs one file at a time was most of `ferry validate` and of a run's time to its first
// request (docs/performance.md has the figures). Only the CLI is bundled: the library (dist/index.js) stays
// as tsc emits it, so code importing `ferry` shares modules with nothing it does not import.
import { cpSync } from 'node:fs';
import { join } from 'node:path';
import { rolldown } from 'rolldown';

/**
 * Libraries the start of a command needs, bundled in. Everything else stays an import of the installed
 * package: the ones loaded on first use (graphql, the XML and CSV parsers: src/core/lazy-module.ts), the
 * server's (fastify), PostgreSQL's, and pino, whose transports find their worker files by path.
 */
const BUNDLED = new Set([
  // Not a package: the helpers the bundler's own transforms call (the escape of `</script` in tagged
  // templates), which it provides itself; marked external, they were imported from a package nobody installs.
  '@oxc-project/runtime',
  'ajv',
  'ajv-formats',
  'commander',
  'croner',
  'fast-deep-equal',
  'fast-uri',
  'json-schema-traverse',
  'jsonata',
  'oauth4webapi',
  'undici',
  'yaml',
  'zod',
]);

/**
 * What a run's own requests need of undici, its Agent and the request() API its dispatchers carry, taken from
 * undici's files instead of its index, which also loads fetch, WebSocket, EventSource, the mocks and the
 * cache stores: about half of undici's load time, all of it before a run's first request. Done as undici's
 * index does it, prototype methods included; the one `import()` of `undici` (the token request's fetch,
 * after the first request) still gets the index. A file undici moves fails the build, not a user's run.
 */
const UNDICI_AGENT_ID = '\0ferry:undici-agent';
const UNDICI_AGENT = `
import Agent from 'undici/lib/dispatcher/agent.js';
import Dispatcher from 'undici/lib/dispatcher/dispatcher.js';
import api from 'undici/lib/api/index.js';
Object.assign(Dispatcher.prototype, api);
export { Agent };
`;
/** The modules whose `import { Agent } from 'undici'` gets UNDICI_AGENT (they import nothing else of it). */
const AGENT_ONLY_IMPORTERS = ['/http/http-transport.js'];

function packageOf(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? `${parts[0]}/${parts[1]}` : (parts[0] ?? specifier);
}

/**
 * Bundles `<dist>/cli/ferry.js` into `<dist>/bundle/`. The bundle sits two levels below the package root,
 * as every module it is made of did, so their paths relative to it (`../../examples`) still hold; the
 * dashboard's assets, read beside their module, are copied beside the bundle.
 */
export async function bundleCli(dist: string): Promise<void> {
  const bundle = await rolldown({
    input: join(dist, 'cli/ferry.js'),
    platform: 'node',
    external: (id, _importer, isResolved) => {
      if (isResolved || id.startsWith('.') || id.startsWith('/')) return false;
      return id.startsWith('node:') || !BUNDLED.has(packageOf(id));
    },
    logLevel: 'warn',
    plugins: [
      {
        name: 'ferry-undici-agent',
        resolveId(source, importer) {
          if (source !== 'undici' || !importer) return null;
          return AGENT_ONLY_IMPORTERS.some((end) => importer.endsWith(end)) ? UNDICI_AGENT_ID : null;
        },
        load(id) {
          return id === UNDICI_AGENT_ID ? UNDICI_AGENT : null;
        },
      },
    ],
  });
  await bundle.write({ dir: join(dist, 'bundle'), format: 'esm', sourcemap: true });
  await bundle.close();
  cpSync(join(dist, 'server/operations/assets'), join(dist, 'bundle/assets'), { recursive: true });
}
