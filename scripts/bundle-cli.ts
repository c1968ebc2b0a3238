// The CLI as one bundle (dist/bundle/), for a faster start: loading the ~700 modules of ferry and the
// libraries a run needs one file at a time was most of `ferry validate` and of a run's time to its first
// request (docs/performance.md has the figures). Only the CLI is bundled: the library (dist/index.js) stays
// as tsc emits it, so code importing `ferry` shares modules with nothing it does not import.
import { cpSync } from 'node:fs';
import { constants as http2Constants } from 'node:http2';
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
 * What a run's own requests need of undici, its Agent and the request() API its dispatchers carry, taken
 * from undici's files instead of its index, which also loads fetch, WebSocket, EventSource, the mocks and
 * the cache stores: much of undici's load time (docs/performance.md), before a run's first request. Done
 * as undici's index does it, prototype methods included; the one `import()` of `undici` (the token
 * request's fetch, after the first request) still gets the index. A file undici moves fails the build, not
 * a user's run.
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

/**
 * undici's HTTP/2 client loads node:http2 (and with it TLS) when it loads, for a few constants, though ferry
 * never asks undici for HTTP/2. In the bundle it gets those constants as written here, from this Node's own
 * node:http2 (protocol values: pseudo-header names and RFC 9113 error codes), and node:http2 itself on the
 * first HTTP/2 connection. A change to that code of undici fails the build.
 */
const UNDICI_H2_FILE = '/undici/lib/dispatcher/client-h2.js';
const UNDICI_H2_LOAD = "  http2 = require('node:http2')\n";
const UNDICI_H2_CONSTANTS = [
  'HTTP2_HEADER_AUTHORITY',
  'HTTP2_HEADER_METHOD',
  'HTTP2_HEADER_PATH',
  'HTTP2_HEADER_SCHEME',
  'HTTP2_HEADER_CONTENT_LENGTH',
  'HTTP2_HEADER_EXPECT',
  'HTTP2_HEADER_STATUS',
  'HTTP2_HEADER_PROTOCOL',
  'NGHTTP2_NO_ERROR',
  'NGHTTP2_REFUSED_STREAM',
] as const;

function undiciH2OnFirstUse(code: string, id: string): string {
  const uses = [...code.matchAll(/\bhttp2\.(\w+)/g)].map((m) => m[1]);
  const destructured = /const \{\s*constants: \{([^}]*)\}\s*\} = http2/
    .exec(code)?.[1]
    ?.split(',')
    .map((name) => name.trim());
  if (
    !code.includes(UNDICI_H2_LOAD) ||
    uses.some((name) => name !== 'connect') ||
    destructured?.join() !== UNDICI_H2_CONSTANTS.join()
  ) {
    throw new Error(
      `${id} no longer loads node:http2 as scripts/bundle-cli.ts expects: update undiciH2OnFirstUse()`,
    );
  }
  const all = http2Constants as unknown as Record<string, string | number | undefined>;
  const constants = Object.fromEntries(
    UNDICI_H2_CONSTANTS.map((name) => {
      if (all[name] === undefined) throw new Error(`node:http2 has no constant ${name}`);
      return [name, all[name]];
    }),
  );
  return code.replace(
    UNDICI_H2_LOAD,
    `  http2 = { constants: ${JSON.stringify(constants)}, connect: (...args) => require('node:http2').connect(...args) }\n`,
  );
}

/**
 * Node's built-ins as `process.getBuiltinModule()` gives them, not through `import`: an ES import of a
 * built-in reads every one of its exports, and lazy getters among them load what nobody asked for (node:fs
 * its streams, node:util its argument parser and text decoder, node:crypto Web Crypto, node:http Node's
 * own undici). A chunk's `import { a, b as c } from "node:x"` becomes `const { a, b: c } =
 * process.getBuiltinModule("node:x")`, on the same lines, so the source maps still hold. Sound because the
 * chunks import each other without cycles (checked here): no chunk's code runs before its own top.
 */
/**
 * Built-ins a chunk imports whole (a default import) but uses only for a rare path: loaded on the first
 * property read. commander imports node:child_process to run a subcommand as its own executable, which
 * ferry never does, and every command loaded it.
 */
const ON_FIRST_USE = new Set(['node:child_process']);

const BUILTIN_IMPORT = /^import (?:([\w$]+)(?:, | ))?(?:\{([^}]*)\} )?from "(node:[\w/]+)";$/gm;

function builtinsThroughGetBuiltinModule(code: string): string {
  return code.replace(
    BUILTIN_IMPORT,
    (_all, defaultName: string | undefined, named: string | undefined, id) => {
      const load = `globalThis.process.getBuiltinModule(${JSON.stringify(id)})`;
      const pattern = named === undefined ? undefined : `{${named.replace(/\s+as\s+/g, ': ')}}`;
      if (defaultName && pattern) return `const ${defaultName} = ${load}, ${pattern} = ${defaultName};`;
      if (defaultName && ON_FIRST_USE.has(id)) {
        return `const ${defaultName} = new Proxy({}, { get: (_target, key) => ${load}[key] });`;
      }
      if (defaultName) return `const ${defaultName} = ${load};`;
      if (pattern) return `const ${pattern} = ${load};`;
      return `${load};`;
    },
  );
}

/** Throws when chunks import each other in a cycle, which would break builtinsThroughGetBuiltinModule. */
function checkNoChunkCycles(chunks: ReadonlyMap<string, readonly string[]>): void {
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (name: string, path: string[]): void => {
    if (state.get(name) === 'done') return;
    if (state.get(name) === 'visiting') {
      throw new Error(`bundle chunks import each other in a cycle: ${[...path, name].join(' -> ')}`);
    }
    state.set(name, 'visiting');
    for (const next of chunks.get(name) ?? []) visit(next, [...path, name]);
    state.set(name, 'done');
  };
  for (const name of chunks.keys()) visit(name, []);
}

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
      {
        name: 'ferry-undici-h2',
        transform(code, id) {
          // One line for one line: the source map stays as it was.
          return id.endsWith(UNDICI_H2_FILE) ? { code: undiciH2OnFirstUse(code, id), map: null } : null;
        },
      },
      {
        name: 'ferry-builtins',
        // On the finished chunks, whose source maps stay right: every line stays where it was.
        generateBundle(_options, bundle) {
          const imports = new Map<string, readonly string[]>();
          for (const [name, output] of Object.entries(bundle)) {
            if (output.type !== 'chunk') continue;
            imports.set(name, output.imports);
            output.code = builtinsThroughGetBuiltinModule(output.code);
          }
          checkNoChunkCycles(imports);
        },
      },
    ],
  });
  await bundle.write({ dir: join(dist, 'bundle'), format: 'esm', sourcemap: true });
  await bundle.close();
  cpSync(join(dist, 'server/operations/assets'), join(dist, 'bundle/assets'), { recursive: true });
}
