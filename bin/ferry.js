#!/usr/bin/env -S node --max-semi-space-size=4
// A small young generation: ferry allocates short-lived objects per record, and V8's default lets the
// semi-spaces grow to tens of MB each; 4 MB measured both lower peak RSS and higher throughput.
// ferry runs its TypeScript sources directly on Node 24's type stripping; older Node cannot.
const [major] = process.versions.node.split('.').map(Number);
if (major < 24) {
  process.stderr.write(
    `ferry needs Node.js 24 or newer (this is ${process.version}). Run it through npx or npm scripts, ` +
      'which use the Node 24 from node_modules/.bin.\n',
  );
  process.exit(2);
}
await import('../src/cli/ferry.ts');
