#!/usr/bin/env -S node --max-semi-space-size=4 --heap-growing-percent=50
// A small young generation: ferry allocates short-lived objects per record, and V8's default lets the
// semi-spaces grow to tens of MB each; 4 MB measured both lower peak RSS and higher throughput.
// A slower-growing old generation: a run's live heap is 30 to 45 MB, but by default V8 lets the old space
// grow to several times that before a full collection, and the RSS keeps the garbage. Growing it by 50%
// instead measured (100,000 customers) a peak RSS of 160 to 176 MB instead of 256 to 272 MB at about 4% less
// throughput; 30 and 20 saved 5 to 15 MB more but cost 10 to 25% of the throughput. Not a hard cap
// (--max-old-space-size), which would crash a run on one big source page.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

// ferry needs Node 24: for its APIs (node:sqlite, ...), and to run its TypeScript sources when dist/ is stale.
const [major] = process.versions.node.split('.').map(Number);
if (major < 24) {
  process.stderr.write(
    `ferry needs Node.js 24 or newer (this is ${process.version}). Run it through npx or npm scripts, ` +
      'which use the Node 24 from node_modules/.bin.\n',
  );
  process.exit(2);
}

const root = fileURLToPath(new URL('..', import.meta.url));

/**
 * True when dist/ (plain JavaScript from `npm run build`) was built after the last change to any source it
 * is compiled from. Running it saves the type stripper's ~21 MB of RSS; a contributor who edited src/ since
 * the build gets src/ through type stripping instead, never stale code. Costs one stat per source file.
 */
function distIsCurrent() {
  let builtAt;
  try {
    builtAt = statSync(join(root, 'dist/.build-stamp')).mtimeMs;
  } catch {
    return false;
  }
  for (const config of ['tsconfig.json', 'tsconfig.build.json']) {
    if (statSync(join(root, config), { throwIfNoEntry: false })?.mtimeMs >= builtAt) return false;
  }
  const src = join(root, 'src');
  for (const file of readdirSync(src, { recursive: true })) {
    if (!file.endsWith('.ts') || file.endsWith('.test.ts')) continue;
    if (statSync(join(src, file)).mtimeMs >= builtAt) return false;
  }
  return true;
}

await import(distIsCurrent() ? '../dist/cli/ferry.js' : '../src/cli/ferry.ts');
