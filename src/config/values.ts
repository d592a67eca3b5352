// Reading typed values from configuration text (files, environment) or arguments: one place for both
// the tracker's configuration and the sampling engine's options.

const truthy = new Set(['true', '1', 'yes', 'on']);
const falsy = new Set(['false', '0', 'no', 'off']);

/** true/false (also 1/0, yes/no, on/off, any case), a boolean as is; undefined for anything else. */
export function readBoolean(raw: unknown): boolean | undefined {
  if (typeof raw === 'boolean') return raw;
  if (typeof raw !== 'string') return undefined;
  const t = raw.trim().toLowerCase();
  return truthy.has(t) ? true : falsy.has(t) ? false : undefined;
}

/**
 * Decimal text as Python's float() reads it (CodeCarbon reads numbers so): digits with single
 * underscores between them, a fraction, an exponent; not hex, octal or binary (JavaScript's
 * Number() would take 0x10 for 16, Python refuses it), and not inf or nan.
 */
const decimal = /^[+-]?(?:\d+(?:_\d+)*(?:\.(?:\d+(?:_\d+)*)?)?|\.\d+(?:_\d+)*)(?:[eE][+-]?\d+(?:_\d+)*)?$/;

/** A finite number from a number or decimal text; undefined for anything else. */
export function readNumber(raw: unknown): number | undefined {
  const text = typeof raw === 'string' ? raw.trim() : raw;
  const n = typeof text === 'string' ? (decimal.test(text) ? Number(text.replace(/_/g, '')) : undefined) : text;
  return typeof n === 'number' && Number.isFinite(n) ? n : undefined;
}
