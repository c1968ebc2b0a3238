/** A response the destination keeps under an Idempotency-Key, replayed verbatim. */
export interface SavedResponse {
  status: number;
  /** Serialised response body ("" for none). */
  body: string;
  /** The request it answered (method, path and body), to refuse the same key with another request. */
  request: string;
  /** The ETag the response carried, replayed with it. */
  etag?: string;
}

/** Orders as the destination stores them: serialised JSON, so a million orders stay compact. */
export interface OrderStore {
  /** Stores an order (duplicates too: the caller decides whether a duplicate is allowed). */
  add(orderId: string, json: string): void;
  /** The first order stored with this id, serialised. */
  get(orderId: string): string | undefined;
  /** Replaces the first order stored with this id; false when there is none. */
  replace(orderId: string, json: string): boolean;
  /** Removes every order stored with this id; false when there was none. */
  remove(orderId: string): boolean;
  /** Every order stored with this id (more than one only when duplicates are allowed), serialised. */
  find(orderId: string): readonly string[];
  /** Every stored order in arrival order, serialised, duplicates included. */
  all(): readonly string[];
  /** How many orders are stored, duplicates included. */
  size(): number;
  distinct(): number;
  savedResponse(key: string): SavedResponse | undefined;
  saveResponse(key: string, response: SavedResponse): void;
  reset(): void;
}

interface Entry {
  readonly orderId: string;
  json: string;
}

/** Creates an empty order store. */
export function createOrderStore(): OrderStore {
  let entries: Entry[] = [];
  let byId = new Map<string, Entry>();
  let responses = new Map<string, SavedResponse>();
  return {
    add(orderId, json) {
      const entry = { orderId, json };
      entries.push(entry);
      if (!byId.has(orderId)) byId.set(orderId, entry);
    },
    get: (orderId) => byId.get(orderId)?.json,
    replace(orderId, json) {
      const entry = byId.get(orderId);
      if (entry === undefined) return false;
      entry.json = json;
      return true;
    },
    remove(orderId) {
      if (!byId.delete(orderId)) return false;
      entries = entries.filter((entry) => entry.orderId !== orderId);
      return true;
    },
    find: (orderId) => entries.filter((entry) => entry.orderId === orderId).map((entry) => entry.json),
    all: () => entries.map((entry) => entry.json),
    size: () => entries.length,
    distinct: () => byId.size,
    savedResponse: (key) => responses.get(key),
    saveResponse(key, response) {
      responses.set(key, response);
    },
    reset() {
      entries = [];
      byId = new Map();
      responses = new Map();
    },
  };
}
