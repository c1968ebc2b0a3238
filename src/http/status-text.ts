// node:http through getBuiltinModule, not an `import`: an ES import of a built-in reads every export, and
// node:http's lazy WebSocket getters then load Node's own copy of undici, which a run never uses, before
// its first request (docs/performance.md).
const { STATUS_CODES } = process.getBuiltinModule('node:http');

/** The standard reason phrase of an HTTP status (`404` → `Not Found`), or undefined for an unknown one. */
export function statusText(status: number): string | undefined {
  return STATUS_CODES[status];
}
