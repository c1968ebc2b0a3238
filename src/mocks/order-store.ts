/** A response the destination keeps under an Idempotency-Key, replayed verbatim. */
export interface SavedResponse {
  status: 201 | 400 | 409;
  /** Serialised response body. */
  body: string;
  /** The serialised request it answered, to refuse the same key with another body. */
  request: string;
}

/** Orders as the destination stores them: serialised JSON, so a million orders stay compact. */
export interface OrderStore {
  /** Stores an order (duplicates too: the caller decides whether a duplicate is allowed). */
  add(orderId: string, json: string): void;
  /** The first order stored with this id, serialised. */
  get(orderId: string): string | undefined;
  /** Every order stored with this id (more than one only when duplicates are allowed), serialised. */
  find(orderId: string): readonly string[];
  /** Every stored order in arrival order, serialised, duplicates included. */
  all(): readonly string[];
  distinct(): number;
  savedResponse(key: string): SavedResponse | undefined;
  saveResponse(key: string, response: SavedResponse): void;
  reset(): void;
}

/** Creates an empty order store. */
export function createOrderStore(): OrderStore {
  let orders: string[] = [];
  let byId = new Map<string, string>();
  let responses = new Map<string, SavedResponse>();
  return {
    add(orderId, json) {
      orders.push(json);
      if (!byId.has(orderId)) byId.set(orderId, json);
    },
    get: (orderId) => byId.get(orderId),
    find: (orderId) =>
      orders.filter((json) => (JSON.parse(json) as { orderId?: unknown }).orderId === orderId),
    all: () => orders,
    distinct: () => byId.size,
    savedResponse: (key) => responses.get(key),
    saveResponse(key, response) {
      responses.set(key, response);
    },
    reset() {
      orders = [];
      byId = new Map();
      responses = new Map();
    },
  };
}
