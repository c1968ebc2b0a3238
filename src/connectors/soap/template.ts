/**
 * Fills a request template from a record: a string that is exactly `{key}` or `{dot.path}` takes that
 * value with its type (`{Order.OrderNumber}` from the mapped value), a placeholder inside a longer string
 * is written into it, and objects and arrays are filled throughout. A path that leads nowhere gives ''
 * inside text and leaves the element out (undefined) on its own.
 */
export function fillTemplate(template: unknown, key: string, value: unknown): unknown {
  if (typeof template === 'string') {
    const whole = /^\{([^{}]+)\}$/.exec(template);
    if (whole?.[1] !== undefined) return resolve(whole[1], key, value);
    return template.replace(/\{([^{}]+)\}/g, (_match, path: string) => {
      const found = resolve(path, key, value);
      return found === undefined || found === null || typeof found === 'object' ? '' : String(found);
    });
  }
  if (Array.isArray(template)) return template.map((item) => fillTemplate(item, key, value));
  if (template !== null && typeof template === 'object') {
    const out: Record<string, unknown> = {};
    for (const [name, inner] of Object.entries(template)) {
      const filled = fillTemplate(inner, key, value);
      if (filled !== undefined) out[name] = filled;
    }
    return out;
  }
  return template;
}

function resolve(path: string, key: string, value: unknown): unknown {
  if (path === 'key') return key;
  let current = value;
  for (const step of path.split('.')) {
    if (current === null || typeof current !== 'object' || Array.isArray(current)) return undefined;
    current = (current as Record<string, unknown>)[step];
  }
  return current;
}

/** The placeholders a template uses (`Order.OrderNumber`, `key`), for checks when the config is read. */
export function templatePaths(template: unknown): string[] {
  if (typeof template === 'string') return [...template.matchAll(/\{([^{}]+)\}/g)].map((m) => m[1] as string);
  if (Array.isArray(template)) return template.flatMap(templatePaths);
  if (template !== null && typeof template === 'object')
    return Object.values(template).flatMap(templatePaths);
  return [];
}

/** The template with every placeholder, whatever it names, replaced by `text` (for a probe). */
export function fillEveryPlaceholder(template: unknown, text: string): unknown {
  if (typeof template === 'string') return template.replace(/\{([^{}]+)\}/g, text);
  if (Array.isArray(template)) return template.map((item) => fillEveryPlaceholder(item, text));
  if (template !== null && typeof template === 'object')
    return Object.fromEntries(Object.entries(template).map(([k, v]) => [k, fillEveryPlaceholder(v, text)]));
  return template;
}
