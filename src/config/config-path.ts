/** One step of a path into the config tree: a mapping key or a list index. */
export type PathKey = string | number;

/** Formats a path the way users see it in messages: `destination.responses[0].status`. */
export function formatPath(path: readonly PathKey[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out === '' ? key : `.${key}`;
  }
  return out === '' ? '(top level)' : out;
}
