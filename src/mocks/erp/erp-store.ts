import type { ErpOrder } from './erp-order.ts';

/** An order the ERP holds, with the reference it gave it. */
export interface StoredErpOrder {
  order: ErpOrder;
  erpReference: string;
}

/** The ERP's orders by OrderNumber; it refuses a second order with the same number. */
export interface ErpStore {
  /** Stores the order and returns its stored form, or undefined when its OrderNumber exists already. */
  create(order: ErpOrder): StoredErpOrder | undefined;
  get(orderNumber: string): StoredErpOrder | undefined;
  /** Every stored order in arrival order. */
  all(): readonly StoredErpOrder[];
  /** Orders created minus distinct OrderNumbers: an order created twice; must stay 0. */
  duplicates(): number;
  reset(): void;
}

/** Creates an empty ERP order store. */
export function createErpStore(): ErpStore {
  let byNumber = new Map<string, StoredErpOrder>();
  let orders: StoredErpOrder[] = [];
  return {
    create(order) {
      if (byNumber.has(order.orderNumber)) return undefined;
      const stored = { order, erpReference: `ERP-${String(orders.length + 1).padStart(8, '0')}` };
      byNumber.set(order.orderNumber, stored);
      orders.push(stored);
      return stored;
    },
    get: (orderNumber) => byNumber.get(orderNumber),
    all: () => orders,
    duplicates: () => orders.length - byNumber.size,
    reset() {
      byNumber = new Map();
      orders = [];
    },
  };
}
