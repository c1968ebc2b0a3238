// `npm run build` (also `prepare`, so `npm install` / `npm ci` build it): compiles src/ to plain JavaScript
// in dist/, so `ferry` never loads Node's type stripper (about 21 MB of RSS and its start-up time).
// bin/ferry.js runs dist/ only while dist/.build-stamp is newer than every source file, so the stamp carries
// the time the build STARTED: a source saved while tsc runs makes dist stale, never silently current.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, renameSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleCli } from './bundle-cli.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const dist = join(root, 'dist');
// Built beside dist/ and swapped in by rename, so a ferry process starting meanwhile sees either the old
// complete tree, none (and falls back to src/), or the new complete tree; never a half-written one.
const building = join(root, 'dist.building');
const previous = join(root, 'dist.previous');

rmSync(building, { recursive: true, force: true });
const started = new Date();
// The package's `bin` entry, found through its exported package.json (its exports do not list bin/tsc).
const tsc = join(dirname(createRequire(import.meta.url).resolve('typescript/package.json')), 'bin/tsc');
execFileSync(process.execPath, [tsc, '-p', 'tsconfig.build.json', '--outDir', building], {
  cwd: root,
  stdio: 'inherit',
});
// Files tsc does not emit: the dashboard's own script and styles, served as they are written.
cpSync(join(root, 'src/server/operations/assets'), join(building, 'server/operations/assets'), {
  recursive: true,
});
await bundleCli(building);
const stamp = join(building, '.build-stamp');
writeFileSync(stamp, `built from src/ as of ${started.toISOString()}; see scripts/build-dist.ts\n`);
utimesSync(stamp, started, started);
rmSync(previous, { recursive: true, force: true });
if (existsSync(dist)) renameSync(dist, previous);
renameSync(building, dist);
rmSync(previous, { recursive: true, force: true });
