const OFFSET_128 = 0x6c62272e07bb014262b821756295c58dn;
const PRIME_128 = 0x0000000001000000000000000000013bn;
const MASK_128 = (1n << 128n) - 1n;
const encoder = new TextEncoder();

/**
 * FNV-1a, 128 bits, over the UTF-8 bytes of `text`, as 32 hex digits. Wide
 * enough that deterministic message ids of different exposures do not
 * collide (32 bits would: a million units give ~100 collisions).
 *
 * @example
 * fnv1a128Hex(''); // '6c62272e07bb014262b821756295c58d'
 */
export function fnv1a128Hex(text: string): string {
  let h = OFFSET_128;
  for (const byte of encoder.encode(text)) h = ((h ^ BigInt(byte)) * PRIME_128) & MASK_128;
  return h.toString(16).padStart(32, '0');
}

/**
 * The message id of an exposure: the same for the same experiment, unit and
 * variant on every device and every retry, so that ade's collector keeps it
 * once (it deduplicates by `messageId`). The parts are hashed as a JSON array,
 * so `("a-b", "c")` and `("a", "b-c")` differ, and the unit id does not
 * appear in clear.
 *
 * @example
 * exposureMessageId('checkout', 'user-42', 'green'); // 'exp-3f…' (36 characters)
 */
export function exposureMessageId(experimentKey: string, unitId: string, variant: string): string {
  return `exp-${fnv1a128Hex(JSON.stringify(['exposure', experimentKey, unitId, variant]))}`;
}

/** A random message id for `track()`: `crypto.randomUUID()` where there is one (browsers, Node 19+), else a v4 UUID from `getRandomValues` or, last, `Math.random`. */
export function randomMessageId(): string {
  const c = (globalThis as { crypto?: Partial<Crypto> }).crypto;
  if (typeof c?.randomUUID === 'function') return c.randomUUID();
  const bytes = new Uint8Array(16);
  if (typeof c?.getRandomValues === 'function') c.getRandomValues(bytes);
  else for (let i = 0; i < 16; i++) bytes[i] = Math.floor(Math.random() * 256);
  bytes[6] = (bytes[6]! & 0x0f) | 0x40;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
