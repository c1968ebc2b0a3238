import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

/** A file the pages load, served from memory. */
export interface Asset {
  readonly type: string;
  readonly body: Buffer;
}

const own = (name: string) => readFileSync(new URL(`./assets/${name}`, import.meta.url));
const vendored = (path: string) => readFileSync(createRequire(import.meta.url).resolve(path));

/**
 * Every file the pages load, by name: ferry's own script and styles, and uPlot from its npm package. An
 * explicit list (not a static directory), so nothing else can ever be served from here; no CDN is used.
 */
export function loadAssets(): ReadonlyMap<string, Asset> {
  return new Map<string, Asset>([
    ['app.js', { type: 'text/javascript; charset=utf-8', body: own('app.js') }],
    ['app.css', { type: 'text/css; charset=utf-8', body: own('app.css') }],
    ['uplot.js', { type: 'text/javascript; charset=utf-8', body: vendored('uplot/dist/uPlot.iife.min.js') }],
    ['uplot.css', { type: 'text/css; charset=utf-8', body: vendored('uplot/dist/uPlot.min.css') }],
  ]);
}
