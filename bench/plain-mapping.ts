/** An order as the mock destination accepts it. */
export interface PlainOrder {
  orderId: string;
  customerInfo: { id: string; name: string; contactEmail: string; contactPhone?: string };
  shippingAddress: { line1: string; city: string; region: string; postalCode: string };
  orderDate: string;
}

/** A field as trimmed text ('' when it is neither a string nor a number). */
export function text(value: unknown): string {
  return typeof value === 'string' ? value.trim() : typeof value === 'number' ? String(value) : '';
}

/**
 * Maps a customer to an order in plain code, the way a person writes it by hand: the flagship's rules
 * (id, plausible email, full address, some name), without field-level reasons. Null means "skip it".
 */
export function plainMapping(customer: Record<string, unknown>, orderDate: string): PlainOrder | null {
  const id = text(customer.customer_id);
  if (id === '' || /\s/.test(id)) return null;
  const email = text(customer.email);
  if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email)) return null;
  const address = customer.address as Record<string, unknown> | undefined;
  if (typeof address !== 'object' || address === null) return null;
  const line1 = text(address.street);
  const city = text(address.city);
  const region = text(address.state);
  const postalCode = text(address.zip);
  if (!line1 || !city || !region || !postalCode) return null;
  const name = [customer.first_name, customer.last_name]
    .filter((part) => typeof part === 'string')
    .join(' ')
    .replace(/\s+/g, ' ')
    .trim();
  if (name === '') return null;
  const order: PlainOrder = {
    orderId: `ORD-${id}`,
    customerInfo: { id, name, contactEmail: email },
    shippingAddress: {
      line1: address.street as string,
      city: address.city as string,
      region: address.state as string,
      postalCode,
    },
    orderDate,
  };
  const phone = text(customer.phone);
  if (phone !== '') order.customerInfo.contactPhone = phone;
  return order;
}

/** RFC 3339 UTC to the second, as the destination wants orderDate. */
export function orderDateNow(): string {
  return `${new Date().toISOString().slice(0, 19)}Z`;
}
