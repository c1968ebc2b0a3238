import { createRequire } from 'node:module';

const load = createRequire(import.meta.url);

/**
 * A package loaded on its first use instead of when the module naming it loads. The registry names every
 * connector, so every command would otherwise load GraphQL, XML and CSV parsers it may never use: about a
 * third of the modules `ferry run` on the flagship and `ferry validate` loaded. A getter, not `await
 * import()`, because the first use may be synchronous (an option's refinement, a row formatted). Node 24
 * loads an ES module through require(): a package whose `module-sync` export is its ES build (graphql)
 * gives the very instance `import` gives; a package with separate `import` and `require` builds (csv-parse,
 * fast-xml-parser) gives its CommonJS build, whose objects stay inside the ferry module that made them.
 */
export function lazyModule<T>(specifier: string): () => T {
  let loaded: T | undefined;
  return () => {
    loaded ??= load(specifier) as T;
    return loaded;
  };
}
