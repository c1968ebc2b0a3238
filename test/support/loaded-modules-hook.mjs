// Loaded with `node --import` by test/startup-modules.e2e.test.ts: writes every module URL the process
// loaded, one a line, to the file FERRY_TEST_LOADED_MODULES names, when the process exits.
import { writeFileSync } from 'node:fs';
import { registerHooks } from 'node:module';

const loaded = new Set();
registerHooks({
  load(url, context, nextLoad) {
    loaded.add(url);
    return nextLoad(url, context);
  },
});
process.on('exit', () => {
  const file = process.env.FERRY_TEST_LOADED_MODULES;
  if (file) writeFileSync(file, [...loaded].join('\n'));
});
