import { writeFile } from 'node:fs/promises';
import { renderErrorReference } from './render-error-docs.ts';

// `npm run docs` regenerates the references that tests keep fresh.
await writeFile(new URL('../../docs/errors.md', import.meta.url), renderErrorReference());
