/** FNV-1a 32-bit offset basis. */
const OFFSET_32 = 0x811c9dc5;
/** FNV-1a 32-bit prime, 2^24 + 2^8 + 0x93. */
const PRIME_32 = 0x01000193;
/** 2^32: divides a 32-bit hash into [0, 1). */
const TWO_POW_32 = 4294967296;

/**
 * FNV-1a, 32 bits, over the UTF-8 bytes of `text` (as `TextEncoder` makes
 * them: a lone surrogate counts as U+FFFD), without allocating the bytes.
 *
 * @example
 * fnv1a32('');       // 0x811c9dc5
 * fnv1a32('foobar'); // 0xbf9cf968
 */
export function fnv1a32(text: string): number {
  let h = OFFSET_32;
  const n = text.length;
  for (let i = 0; i < n; i++) {
    let c = text.charCodeAt(i);
    if (c < 0x80) {
      h = Math.imul(h ^ c, PRIME_32);
      continue;
    }
    if (c < 0x800) {
      h = Math.imul(h ^ (0xc0 | (c >> 6)), PRIME_32);
      h = Math.imul(h ^ (0x80 | (c & 0x3f)), PRIME_32);
      continue;
    }
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < n) {
      const low = text.charCodeAt(i + 1);
      if (low >= 0xdc00 && low <= 0xdfff) {
        const cp = 0x10000 + ((c - 0xd800) << 10) + (low - 0xdc00);
        i++;
        h = Math.imul(h ^ (0xf0 | (cp >> 18)), PRIME_32);
        h = Math.imul(h ^ (0x80 | ((cp >> 12) & 0x3f)), PRIME_32);
        h = Math.imul(h ^ (0x80 | ((cp >> 6) & 0x3f)), PRIME_32);
        h = Math.imul(h ^ (0x80 | (cp & 0x3f)), PRIME_32);
        continue;
      }
    }
    if (c >= 0xd800 && c <= 0xdfff) c = 0xfffd; // a lone surrogate, as TextEncoder encodes it
    h = Math.imul(h ^ (0xe0 | (c >> 12)), PRIME_32);
    h = Math.imul(h ^ (0x80 | ((c >> 6) & 0x3f)), PRIME_32);
    h = Math.imul(h ^ (0x80 | (c & 0x3f)), PRIME_32);
  }
  return h >>> 0;
}

/**
 * MurmurHash3's 32-bit finaliser ("fmix32"): a bijection on 32-bit integers in
 * which every input bit flips each output bit with probability about ½.
 * FNV-1a alone does not mix its last bytes into the high bits, so ids that
 * differ only at the end (`user-1`, `user-2`, …) would land in correlated
 * buckets; the finaliser removes that.
 *
 * @example
 * fmix32(0);          // 0
 * fmix32(0xbf9cf968); // always the same 32-bit value
 */
export function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * The assignment hash: `fmix32(fnv1a32(text))`, an unsigned 32-bit integer
 * (docs/experiments.md, "The hash").
 */
export function bucketHash(text: string): number {
  return fmix32(fnv1a32(text));
}

/**
 * `bucketHash(text) / 2^32`: a deterministic position in [0, 1) (exact in a
 * double, so any other implementation can reproduce it bit for bit).
 *
 * @example
 * hashToUnit('checkout:user-42'); // 0.…, always the same
 */
export function hashToUnit(text: string): number {
  return bucketHash(text) / TWO_POW_32;
}
