#!/usr/bin/env -S MALLOC_ARENA_MAX=2 MALLOC_MMAP_THRESHOLD_=131072 node --max-semi-space-size=4 --min-semi-space-size=2
// Memory settings, each measured on 100,000-customer runs (docs/performance.md has the figures):
// - A small young generation: ferry allocates short-lived objects per record, and V8's default lets the
//   semi-spaces grow far larger; the cap above gave both a lower peak RSS and a higher throughput. It starts
//   above V8's smallest: start-up allocates its modules and schemas faster than the smallest young
//   generation collects them.
// - A slower-growing old generation (--heap-growing-percent=50, set below: V8 reads it at each full
//   collection): by default V8 lets the old space grow to several times the live heap before a full
//   collection, and the RSS keeps the garbage. Growing it by half costs a little throughput; by less cost
//   much more. Not a hard cap (--max-old-space-size), which would crash a run on one big source page.
// - glibc malloc: V8 compiles on worker threads (Maglev and Turboshaft zones, most of malloc's use at the
//   peak), and each thread's malloc arena kept what they freed. Two arenas, and large blocks always handed
//   back to the OS (a fixed mmap threshold instead of one that rises to the largest block freed so far),
//   with the wasm flag below, lower the peak RSS at the same throughput. Ignored where the C library is not
//   glibc.
// The shebang stays under the 127 characters older Linux kernels read; V8 flags that need not be given at
// start-up are set below instead.
// ferry needs Node 24: for its APIs (node:sqlite, ...), and to run its TypeScript sources when dist/ is
// stale.
const [major] = process.versions.node.split('.').map(Number);
if (major < 24) {
  process.stderr.write(
    `ferry needs Node.js 24 or newer (this is ${process.version}). Run it through npx or npm scripts, ` +
      'which use the Node 24 from node_modules/.bin.\n',
  );
  process.exit(2);
}

// Built-ins through getBuiltinModule (Node 22.3+, hence after the check above), not ES imports: an ES import
// of node:fs reads all its exports, whose lazy getters load its streams, which --help never needs. The
// bundle takes its built-ins the same way (scripts/bundle-cli.ts).
const { readdirSync, statSync } = process.getBuiltinModule('node:fs');
const { enableCompileCache } = process.getBuiltinModule('node:module');
const { homedir } = process.getBuiltinModule('node:os');
const { join } = process.getBuiltinModule('node:path');
const { fileURLToPath } = process.getBuiltinModule('node:url');
const { setFlagsFromString } = process.getBuiltinModule('node:v8');

// undici parses HTTP with llhttp in WebAssembly; optimising its one big state-machine loop with unrolling
// took a 15 MB compiler zone (heaptrack) that malloc then kept. Without unrolling: same throughput. V8 reads
// the flag when it optimises that module, long after start-up, so setting it here takes effect.
setFlagsFromString('--no-wasm-loop-unrolling');
// Read at each full collection, so it need not take room in the shebang (see the top of this file).
setFlagsFromString('--heap-growing-percent=50');

const root = fileURLToPath(new URL('..', import.meta.url));

// Much of ferry's start-up is V8 compiling the code a command loads; Node's compile cache keeps that
// work between runs (docs/performance.md has the figures). In the user's own cache directory, never a
// shared temporary one another user could write to; NODE_COMPILE_CACHE overrides it, and
// NODE_DISABLE_COMPILE_CACHE=1 turns it off. A directory that cannot be written just means no cache.
enableCompileCache?.(
  process.env.NODE_COMPILE_CACHE ||
    join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'ferry', 'compile-cache'),
);

/**
 * True when dist/ (plain JavaScript from `npm run build`) was built after the last change to any source it
 * is compiled from. Running it saves the type stripper's ~21 MB of RSS; a contributor who edited src/ since
 * the build gets src/ through type stripping instead, never stale code. Costs one stat per source file
 * (an installed package has no src/ and skips it).
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
  // An installed package ships dist/ alone: nothing to be stale against.
  if (!statSync(src, { throwIfNoEntry: false })) return true;
  return !changedSince(src, builtAt);
}

/**
 * True when a source file under `dir` changed at or after `time`. Walked by hand: readdirSync's own
 * `recursive` took twice as long, and this runs before every command of a checkout. Paths are joined
 * with a plain `/`, not path.join(), whose normalising of each of the ~400 paths took longer than the
 * stats themselves.
 */
function changedSince(dir, time) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory()) {
      if (changedSince(path, time)) return true;
    } else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts')) {
      if (statSync(path).mtimeMs >= time) return true;
    }
  }
  return false;
}

await import(distIsCurrent() ? '../dist/bundle/ferry.js' : '../src/cli/ferry.ts');
