// Its own file: the CLI checks --state and FERRY_STATE with it before loading anything that parses YAML.
const URL_LIKE = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//;

/** True when a ledger location is written as a URL (`postgres://...`) rather than a directory. */
export function looksLikeUrl(value: string): boolean {
  return URL_LIKE.test(value);
}
