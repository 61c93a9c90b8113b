// The order shape intake accepts and the planner receives in its A2A data part.

/** The first thing wrong with an order, or null. `requireCustomer` for intake's stricter body. */
export function orderError(o, { requireCustomer = false } = {}) {
  if (o === null || typeof o !== 'object' || Array.isArray(o)) return 'order must be a JSON object';
  if (typeof o.orderId !== 'string' || o.orderId === '') return 'orderId must be a non-empty string';
  if (requireCustomer && (typeof o.customerId !== 'string' || o.customerId === '')) return 'customerId must be a non-empty string';
  if (!Array.isArray(o.items) || o.items.length === 0) return 'items must be a non-empty array';
  for (const [i, item] of o.items.entries()) {
    if (item === null || typeof item !== 'object') return `items[${i}] must be an object`;
    if (typeof item.sku !== 'string' || item.sku === '') return `items[${i}].sku must be a non-empty string`;
    if (!Number.isInteger(item.qty) || item.qty <= 0) return `items[${i}].qty must be an integer > 0`;
  }
  if (!Number.isInteger(o.amount) || o.amount <= 0) return 'amount must be an integer > 0 (cents)';
  if (typeof o.currency !== 'string' || !/^[A-Z]{3}$/.test(o.currency)) return 'currency must be a 3-letter upper-case ISO 4217 code';
  return null;
}
