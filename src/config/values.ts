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

/** A finite number from a number or non-empty text; undefined for anything else. */
export function readNumber(raw: unknown): number | undefined {
  const text = typeof raw === 'string' ? raw.trim() : raw;
  const n = typeof text === 'string' && text !== '' ? Number(text) : text;
  return typeof n === 'number' && Number.isFinite(n) ? n : undefined;
}
