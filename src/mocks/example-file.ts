import { readFileSync } from 'node:fs';

/**
 * Reads a file the package ships in examples/ (the partners' API descriptions). This module sits two levels
 * below the package root in src/, in dist/ and in the CLI bundle (dist/bundle/) alike, so it is the one
 * place the mocks count levels; a module deeper down would count wrong once bundled.
 */
export function readExampleFile(path: string): string {
  return readFileSync(new URL(`../../examples/${path}`, import.meta.url), 'utf8');
}
