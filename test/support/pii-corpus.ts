// A deterministic corpus of fake personal identifiers for end-to-end privacy
// tests: valid by the rules ade's detectors check (Luhn, mod-97, NANP, SSN
// areas), distinct, and generated from a seed so every run sees the same set.
// Generators follow packages/ade/src/privacy/detectors/quality.test.ts but use
// their own reference checksums, not the detectors' code.

export type IdentifierKind = 'email' | 'phone' | 'card' | 'iban' | 'ssn' | 'ipv4' | 'ipv6' | 'mac' | 'name';

export interface Identifier {
  readonly kind: IdentifierKind;
  readonly value: string;
}

/** Deterministic PRNG (mulberry32). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Random helpers over one PRNG. */
export function randomTools(rnd: () => number) {
  const int = (lo: number, hi: number): number => lo + Math.floor(rnd() * (hi - lo + 1));
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)] as T;
  const digits = (n: number): string => Array.from({ length: n }, () => String(int(0, 9))).join('');
  const hex = (n: number): string => Array.from({ length: n }, () => '0123456789abcdef'[int(0, 15)]).join('');
  const letters = (n: number): string => Array.from({ length: n }, () => String.fromCharCode(65 + int(0, 25))).join('');
  const shuffle = <T>(xs: readonly T[]): T[] => {
    const out = [...xs];
    for (let i = out.length - 1; i > 0; i--) {
      const j = Math.floor(rnd() * (i + 1));
      [out[i], out[j]] = [out[j]!, out[i]!];
    }
    return out;
  };
  return { int, pick, digits, hex, letters, shuffle };
}

/** The Luhn check digit that makes `payload + digit` valid. */
export function luhnCheckDigit(payload: string): string {
  for (let d = 0; d <= 9; d++) {
    const s = payload + d;
    let sum = 0;
    for (let i = 0; i < s.length; i++) {
      let v = Number(s[s.length - 1 - i]);
      if (i % 2 === 1) v = v * 2 > 9 ? v * 2 - 9 : v * 2;
      sum += v;
    }
    if (sum % 10 === 0) return String(d);
  }
  throw new Error('unreachable');
}

/** An IBAN with valid mod-97 check digits for a country and BBAN. */
export function makeIban(country: string, bban: string): string {
  const numeric = (s: string) => BigInt(s.replace(/[A-Z]/g, (c) => String(c.charCodeAt(0) - 55)));
  const check = 98n - (numeric(bban + country + '00') % 97n);
  return country + String(check).padStart(2, '0') + bban;
}

// Person names: whole words of four letters or more, so that a name cannot
// turn up by chance inside other text. A few carry accents or an apostrophe.
const FIRST_NAMES = [
  'Adelaide', 'Bartholomew', 'Cordelia', 'Desmond', 'Evangeline', 'Fitzgerald', 'Gwendolyn', 'Horatio', 'Isadora', 'Jebediah',
  'Katarina', 'Leopold', 'Marguerite', 'Nathaniel', 'Octavia', 'Percival', 'Quentin', 'Rosalind', 'Sebastian', 'Theodora',
  'Ulysses', 'Valentina', 'Wilhelmina', 'Xavier', 'Yolanda', 'Zebulon', 'José', 'Zoë', 'Björn', 'Ingrid',
  'Lucinda', 'Mortimer', 'Philippa', 'Reginald', 'Seraphina', 'Tobias', 'Winifred', 'Augustin', 'Clementine', 'Dorothea',
];
const LAST_NAMES = [
  'Abernathy', 'Blackwood', 'Castellano', 'Delacroix', 'Ellingsworth', 'Fairweather', 'Gallagher', 'Hawthorne', 'Illingworth', 'Jorgensen',
  'Kowalczyk', 'Lindqvist', 'Montgomery', 'Nakamura', "O'Shaughnessy", 'Pemberton', 'Quartermaine', 'Rutherford', 'Stellmacher', 'Thistlewood',
  'Underhill', 'Vanderbilt', 'Whitmore', 'Yamamoto', 'Zimmerman', 'Müller', 'Ólafsdóttir', 'Nuñez', 'Brennan', 'Castlemaine',
  'Drummond', 'Everhart', 'Farquhar', 'Grimaldi', 'Holloway', 'Ingleby', 'Kensington', 'Lockhart', 'Merriweather', 'Northcott',
];
const EMAIL_DOMAINS = ['example.com', 'mail.example.org', 'corp.example.co.uk', 'example.io', 'uni-example.edu', 'example.de', 'shop.example.net'];

/** How many of each kind `buildCorpus` makes by default (11,000 in all). */
export const DEFAULT_COUNTS: Readonly<Record<IdentifierKind, number>> = {
  email: 2500,
  phone: 2000,
  card: 1500,
  iban: 1000,
  ssn: 1000,
  ipv4: 1000,
  ipv6: 500,
  mac: 500,
  name: 1000,
};

/**
 * Distinct identifiers of every kind, in a fixed order for a seed. Distinct
 * also after normalisation: no two phones, cards or IBANs share their digits,
 * no two emails differ only in case.
 */
export function buildCorpus(seed: number, counts: Readonly<Record<IdentifierKind, number>> = DEFAULT_COUNTS): Identifier[] {
  const rnd = prng(seed);
  const { int, pick, digits, hex, letters, shuffle } = randomTools(rnd);
  const out: Identifier[] = [];
  const take = (kind: IdentifierKind, n: number, gen: () => string, key: (v: string) => string = (v) => v) => {
    const seen = new Set<string>();
    let tries = 0;
    while (seen.size < n) {
      if (++tries > n * 50) throw new Error(`cannot make ${n} distinct ${kind} identifiers`);
      const v = gen();
      const k = key(v);
      if (seen.has(k)) continue;
      seen.add(k);
      out.push({ kind, value: v });
    }
  };
  const ascii = (s: string) => s.normalize('NFD').replace(/[^\x00-\x7f]/g, '').replace(/'/g, '').toLowerCase();

  let emailN = 0;
  take(
    'email',
    counts.email,
    () => {
      const f = ascii(pick(FIRST_NAMES));
      const l = ascii(pick(LAST_NAMES));
      const n = ++emailN;
      const local = pick([`${f}.${l}${n}`, `${f[0]}${l}${n}`, `${f}_${l}+${pick(['news', 'shop'])}${n}`, `${l}.${f}.${n}`]);
      const e = `${local}@${pick(EMAIL_DOMAINS)}`;
      return rnd() < 0.15 ? e.toUpperCase() : e;
    },
    (v) => v.toLowerCase(),
  );

  // NANP numbers need area and exchange codes starting 2-9; the others follow national plans.
  take(
    'phone',
    counts.phone,
    () => {
      const area = `${int(2, 9)}${digits(2)}`;
      const exch = `${int(2, 9)}${digits(2)}`;
      const line = digits(4);
      switch (int(0, 9)) {
        case 0:
          return `+1${area}${exch}${line}`;
        case 1:
          return `+1 ${area}-${exch}-${line}`;
        case 2:
          return `(${area}) ${exch}-${line}`;
        case 3:
          return `${area}-${exch}-${line}`;
        case 4:
          return `${area}.${exch}.${line}`;
        case 5:
          return `+44 20 ${int(3, 8)}${digits(3)} ${digits(4)}`;
        case 6:
          return `07${int(1, 9)}${digits(2)} ${digits(6)}`;
        case 7:
          return `+49 30 ${int(1, 9)}${digits(7)}`;
        case 8:
          return `+33 ${int(1, 7)} ${digits(2)} ${digits(2)} ${digits(2)} ${digits(2)}`;
        default:
          return `+1${area}${exch}${line}`;
      }
    },
    (v) => v.replace(/\D/g, '').slice(-9),
  );

  const issuers: readonly (() => string)[] = [
    () => '4' + digits(14),
    () => String(int(51, 55)) + digits(13),
    () => String(int(2221, 2720)) + digits(11),
    () => pick(['34', '37']) + digits(12),
    () => '6011' + digits(11),
    () => String(int(3528, 3589)) + digits(11),
    () => '36' + digits(11),
  ];
  take(
    'card',
    counts.card,
    () => {
      const payload = pick(issuers)();
      const n = payload + luhnCheckDigit(payload);
      const style = int(0, 2);
      if (style === 0) return n;
      const sep = style === 1 ? ' ' : '-';
      if (n.length === 15) return `${n.slice(0, 4)}${sep}${n.slice(4, 10)}${sep}${n.slice(10)}`;
      return n.replace(/(\d{4})(?=\d)/g, `$1${sep}`);
    },
    (v) => v.replace(/\D/g, ''),
  );

  const bbans: readonly (() => [string, string])[] = [
    () => ['DE', digits(18)],
    () => ['GB', letters(4) + digits(14)],
    () => ['FR', digits(23)],
    () => ['NL', letters(4) + digits(10)],
    () => ['ES', digits(20)],
  ];
  take(
    'iban',
    counts.iban,
    () => {
      const [c, b] = pick(bbans)();
      const iban = makeIban(c, b);
      return rnd() < 0.6 ? iban : iban.replace(/(.{4})(?=.)/g, '$1 ');
    },
    (v) => v.replace(/ /g, ''),
  );

  take(
    'ssn',
    counts.ssn,
    () => {
      let area = int(1, 899);
      if (area === 666) area = 665;
      const sep = rnd() < 0.9 ? '-' : ' ';
      return [String(area).padStart(3, '0'), String(int(1, 99)).padStart(2, '0'), String(int(1, 9999)).padStart(4, '0')].join(sep);
    },
    (v) => v.replace(/\D/g, ''),
  );

  // The last octet is never 0: a /24 network (`a.b.c.0/24`) must not contain an address.
  take('ipv4', counts.ipv4, () => {
    let first = int(11, 223);
    if (first === 127) first = 128;
    return `${first}.${int(0, 255)}.${int(0, 255)}.${int(1, 254)}`;
  });

  take(
    'ipv6',
    counts.ipv6,
    () => {
      const g = () => int(1, 0xffff).toString(16);
      switch (int(0, 3)) {
        case 0:
          return Array.from({ length: 8 }, () => int(1, 0xffff).toString(16).padStart(4, '0')).join(':');
        case 1:
          return `2001:db8:${g()}:${g()}::${g()}`;
        case 2:
          return `fe80::${g()}:${g()}:${g()}:${g()}`.toUpperCase();
        default:
          return `2a02:${g()}:${g()}:${g()}:${g()}:${g()}:${g()}:${g()}`;
      }
    },
    (v) => v.toLowerCase(),
  );

  take(
    'mac',
    counts.mac,
    () => {
      const pairs = Array.from({ length: 6 }, () => hex(2));
      if (pairs.every((p) => /^\d+$/.test(p))) pairs[0] = 'a' + pairs[0]!.slice(1);
      const m = pairs.join(rnd() < 0.5 ? ':' : '-');
      return rnd() < 0.3 ? m.toUpperCase() : m;
    },
    (v) => v.toLowerCase().replace(/-/g, ':'),
  );

  const names = shuffle(FIRST_NAMES.flatMap((f) => LAST_NAMES.map((l) => `${f} ${l}`)));
  if (names.length < counts.name) throw new Error(`only ${names.length} distinct names`);
  for (const value of names.slice(0, counts.name)) out.push({ kind: 'name', value });
  return out;
}

/**
 * The spellings of an identifier that must never reach the clean zone: as
 * written, lower-cased, and for numbers (phones, cards, SSNs, IBANs) their
 * digits alone (when at least 7) and their compact form without separators.
 */
export function forbiddenForms(id: Identifier): string[] {
  const forms = new Set([id.value, id.value.toLowerCase()]);
  if (id.kind === 'phone' || id.kind === 'card' || id.kind === 'ssn' || id.kind === 'iban') {
    const digitsOnly = id.value.replace(/\D/g, '');
    if (digitsOnly.length >= 7) forms.add(digitsOnly);
    forms.add(id.value.replace(/[\s().-]/g, ''));
  }
  return [...forms];
}

/**
 * Finds which of many needles occur in a haystack in one pass: needles are
 * grouped by their first `anchor` characters, and the haystack is walked once
 * looking those prefixes up. Every needle must be at least `anchor` long.
 * Works on binary data too, when both sides are latin1 views of bytes.
 */
export class NeedleSet {
  private readonly byPrefix = new Map<string, string[]>();

  constructor(
    needles: Iterable<string>,
    private readonly anchor = 6,
  ) {
    for (const n of needles) {
      if (n.length < anchor) throw new Error(`needle shorter than ${anchor}: ${JSON.stringify(n)}`);
      const key = n.slice(0, anchor);
      const list = this.byPrefix.get(key);
      if (list) {
        if (!list.includes(n)) list.push(n);
      } else this.byPrefix.set(key, [n]);
    }
  }

  /** The needles that occur in `haystack`. */
  findIn(haystack: string): Set<string> {
    const found = new Set<string>();
    const k = this.anchor;
    for (let i = 0; i + k <= haystack.length; i++) {
      const list = this.byPrefix.get(haystack.slice(i, i + k));
      if (!list) continue;
      for (const n of list) if (haystack.startsWith(n, i)) found.add(n);
    }
    return found;
  }
}

/** A string as the latin1 view of its UTF-8 bytes, to search binary files (also read as latin1) for it. */
export function utf8AsLatin1(s: string): string {
  return Buffer.from(s, 'utf8').toString('latin1');
}
