import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { bucketHash, exposureMessageId, fmix32, fnv1a128Hex, fnv1a32, hashToUnit, randomMessageId } from './index.js';

// Reference values computed once with Python integers (independent of this code):
//   h = basis; for b in s.encode(): h = ((h ^ b) * prime) % 2**bits
const KNOWN_32: [string, number][] = [
  ['', 0x811c9dc5],
  ['a', 0xe40c292c],
  ['foobar', 0xbf9cf968],
  ['é€😀', 0x04a2e806],
];
// The bucket hash, fmix32(fnv1a32(s)), computed the same way with
//   h ^= h >> 16; h = h * 0x85ebca6b % 2**32; h ^= h >> 13; h = h * 0xc2b2ae35 % 2**32; h ^= h >> 16
const KNOWN_BUCKET: [string, number][] = [
  ['', 0xab3e7c0b],
  ['a', 0x1a80b1b3],
  ['foobar', 0x0c0da6dc],
  ['é€😀', 0xf0d630c0],
];
const KNOWN_128: [string, string][] = [
  ['', '6c62272e07bb014262b821756295c58d'],
  ['a', 'd228cb696f1a8caf78912b704e4a8964'],
  ['foobar', '343e1662793c64bf6f0d3597ba446f18'],
  ['é€😀', '774ccb600c02194bba5253a52a073ea6'],
];

/** The textbook definition over TextEncoder's bytes, to check the allocation-free one against. */
function reference32(text: string): number {
  let h = 0x811c9dc5;
  for (const b of new TextEncoder().encode(text)) h = Math.imul(h ^ b, 0x01000193) >>> 0;
  return h;
}

describe('FNV-1a', () => {
  it('should give the known 32-bit answers', () => {
    for (const [text, hash] of KNOWN_32) assert.equal(fnv1a32(text), hash, JSON.stringify(text));
  });

  it('should give the known 128-bit answers', () => {
    for (const [text, hash] of KNOWN_128) assert.equal(fnv1a128Hex(text), hash, JSON.stringify(text));
  });

  it('should hash the UTF-8 bytes TextEncoder makes, lone surrogates as U+FFFD', () => {
    const samples = ['ß', 'e\u0301', '👩‍👩‍👧', '🇳🇱', '\u{10ffff}', '\ud800', 'a\udc00b', '\ud83d', 'x\ud83d\ude00\ud83d', '\u07ff\u0800\uffff'];
    let seed = 7;
    const random = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
    for (let i = 0; i < 2000; i++) samples.push(Array.from({ length: 1 + Math.floor(random() * 12) }, () => String.fromCharCode(Math.floor(random() * 0x10000))).join(''));
    for (const s of samples) assert.equal(fnv1a32(s), reference32(s), JSON.stringify(s));
  });

  it('should give the known bucket hashes, the MurmurHash3 finaliser over FNV-1a', () => {
    assert.equal(fmix32(0), 0);
    assert.equal(fmix32(1), 0x514e28b7);
    for (const [text, hash] of KNOWN_BUCKET) assert.equal(bucketHash(text), hash, JSON.stringify(text));
  });

  it('should split sequential ids evenly for every seed (FNV-1a alone does not)', () => {
    // 40 seeds × 20,000 ids "1", "2", …: each seed's 50/50 split has |z| < 4.5
    // (the largest of 40 fair splits exceeds that with probability < 0.03%),
    // and 100 equal buckets pass a chi-square test at 0.1% (df 99: 148.2).
    const n = 20_000;
    let worstFnv = 0;
    for (let s = 0; s < 40; s++) {
      const seed = `exp-${s}:`;
      let low = 0;
      let lowFnv = 0;
      const buckets = new Array<number>(100).fill(0);
      for (let i = 1; i <= n; i++) {
        const u = hashToUnit(seed + i);
        if (u < 0.5) low++;
        if (fnv1a32(seed + i) < 2 ** 31) lowFnv++;
        buckets[Math.floor(u * 100)]!++;
      }
      const z = (low - n / 2) / Math.sqrt(n / 4);
      assert.ok(Math.abs(z) < 4.5, `seed ${seed} splits ${low}/${n - low} (z ${z.toFixed(2)})`);
      worstFnv = Math.max(worstFnv, Math.abs((lowFnv - n / 2) / Math.sqrt(n / 4)));
      const chi2 = buckets.reduce((a, c) => a + (c - n / 100) ** 2 / (n / 100), 0);
      assert.ok(chi2 < 148.2, `seed ${seed}: chi-square ${chi2.toFixed(1)} over 100 buckets`);
    }
    assert.ok(worstFnv > 4.5, `FNV-1a alone splits unevenly on some seed (worst |z| ${worstFnv.toFixed(1)}), which is why the finaliser is there`);
  });

  it('should map a hash to [0, 1) by dividing by 2^32', () => {
    assert.equal(hashToUnit('a'), 0x1a80b1b3 / 2 ** 32);
    for (let i = 0; i < 1000; i++) {
      const u = hashToUnit(`s:${i}`);
      assert.ok(u >= 0 && u < 1);
    }
  });
});

describe('message ids', () => {
  it('should make the same exposure id for the same parts, and different ids when the parts only join alike', () => {
    assert.equal(exposureMessageId('checkout', 'u1', 'green'), exposureMessageId('checkout', 'u1', 'green'));
    assert.match(exposureMessageId('checkout', 'u1', 'green'), /^exp-[0-9a-f]{32}$/);
    assert.notEqual(exposureMessageId('a-b', 'c', 'd'), exposureMessageId('a', 'b-c', 'd'));
    assert.ok(!exposureMessageId('k', 'ana@example.com', 'v').includes('ana'), 'the unit id is not in clear');
  });

  it('should make random ids that are UUIDs and differ', () => {
    const ids = new Set(Array.from({ length: 1000 }, randomMessageId));
    assert.equal(ids.size, 1000);
    for (const id of ids) assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});
