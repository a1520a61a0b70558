import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { detectAll } from '../detect.js';
import { cardDetector } from './card.js';
import type { Detector } from './detector.js';
import { emailDetector } from './email.js';
import { ibanDetector } from './iban.js';
import { ipv4Detector } from './ipv4.js';
import { ipv6Detector } from './ipv6.js';
import { macDetector } from './mac.js';
import { phoneDetector } from './phone.js';
import { ssnDetector } from './ssn.js';

function found(d: Detector, text: string): string[] {
  return d.find(text).map((s) => s.value);
}

function check(d: Detector, positives: Record<string, string>, negatives: string[]): void {
  for (const [text, value] of Object.entries(positives)) {
    assert.deepEqual(found(d, text), [value], `${d.name} should find ${value} in: ${text}`);
    const s = d.find(text)[0];
    assert.equal(text.slice(s?.start, s?.end), value);
  }
  for (const text of negatives) assert.deepEqual(found(d, text), [], `${d.name} should find nothing in: ${text}`);
}

describe('detectors', () => {
  it('email should find addresses and skip asset names and bare handles', () => {
    check(
      emailDetector,
      {
        'write to Ada.Lovelace+news@mail.example.co.uk.': 'Ada.Lovelace+news@mail.example.co.uk',
        '<bob@example.io>': 'bob@example.io',
      },
      ['logo@2x.png', 'user@localhost', 'a..b@example.com', '@handle on twitter', 'x@1.2.3.4'],
    );
  });

  it('phone should find international and national formats and skip versions, dates and ids', () => {
    check(
      phoneDetector,
      {
        'call +1 415-555-0132 now': '+1 415-555-0132',
        'call (415) 555-0132.': '(415) 555-0132',
        'US 415.555.0132': '415.555.0132',
        'London 020 7946 0958': '020 7946 0958',
        'mobile 07700 900123': '07700 900123',
        'Berlin 030 12345678': '030 12345678',
        'Munich 089/1234567': '089/1234567',
        'Paris 06 12 34 56 78': '06 12 34 56 78',
        'E.164 +442079460958': '+442079460958',
        'DE +49 30 12345678': '+49 30 12345678',
      },
      ['version 4.2.1', 'build 10.0.19045.2965', 'on 2024-03-07', 'order ORD-2024-000123', 'at 07.03.2024', 'ext 555-0123', 'ts 1709814600', 'SKU-12345', '123-456-7890', '+1 123 555 0132'],
    );
  });

  it('card should find Luhn-valid numbers of known issuers', () => {
    check(
      cardDetector,
      {
        'visa 4111 1111 1111 1111 exp 12/27': '4111 1111 1111 1111',
        'amex 3782-822463-10005': '3782-822463-10005',
        'mc 5555555555554444': '5555555555554444',
      },
      ['4111 1111 1111 1112', '1234567890123456', '9111111111111111', '4111-1111 1111-1111', 'id 41111111111111110'],
    );
  });

  it('iban should find valid IBANs compact and spaced, and cut at the country length', () => {
    check(
      ibanDetector,
      {
        'pay GB82 WEST 1234 5698 7654 32 AND thanks': 'GB82 WEST 1234 5698 7654 32',
        'DE89370400440532013000.': 'DE89370400440532013000',
      },
      ['GB82 WEST 1234 5698 7654 33', 'DE89370400440532013001', 'XX89370400440532013000', 'DE8937040044053201300'],
    );
  });

  it('ssn should find issuable numbers only', () => {
    check(ssnDetector, { 'SSN: 123-45-6789.': '123-45-6789', 'ssn 219 09 9999': '219 09 9999' }, [
      '000-12-3456',
      '666-12-3456',
      '912-34-5678',
      '123-00-4567',
      '123-45-0000',
      'ORD-123-45-6789',
      '123-45-6789-1',
    ]);
  });

  it('ipv4 should find addresses and skip versions', () => {
    check(ipv4Detector, { 'from 192.168.1.20, then': '192.168.1.20', 'ip=8.8.8.8': '8.8.8.8' }, [
      'v1.2.3.4',
      'version 4.2.1.0',
      '10.0.19045.2965',
      '256.1.1.1',
      '1.2.3.4.5',
      '01.2.3.4',
    ]);
  });

  it('ipv6 should find full, compressed and IPv4-tailed addresses', () => {
    check(
      ipv6Detector,
      {
        'host 2001:0db8:85a3:0000:0000:8a2e:0370:7334 up': '2001:0db8:85a3:0000:0000:8a2e:0370:7334',
        'ip:2001:db8::1': '2001:db8::1',
        'at fe80::1ff:fe23:4567:890a: refused': 'fe80::1ff:fe23:4567:890a',
        'mapped ::ffff:192.0.2.128.': '::ffff:192.0.2.128',
      },
      ['at 12:30:00', 'std::vector', '2024-03-07T12:30:00Z', '1:2:3:4:5:6:7:8:9', 'ratio 3:2'],
    );
  });

  it('mac should find colon, dash and Cisco forms', () => {
    check(macDetector, { 'mac:00:1a:2b:3c:4d:5e': '00:1a:2b:3c:4d:5e', 'nic 00-1A-2B-3C-4D-5E.': '00-1A-2B-3C-4D-5E', 'sw 001a.2b3c.4d5e': '001a.2b3c.4d5e' }, [
      '00:00:00:00:00:00',
      'ff:ff:ff:ff:ff:ff',
      '00:1a:2b:3c:4d',
      '12:30:45',
    ]);
  });
});

describe('detectAll', () => {
  it('should find every kind in one text, ordered by position', () => {
    const text = 'Ada <ada@example.com>, +44 20 7946 0958, card 4111 1111 1111 1111, IBAN DE89370400440532013000, SSN 123-45-6789, from 10.1.2.3 / 2001:db8::1, mac 00:1a:2b:3c:4d:5e';
    assert.deepEqual(
      detectAll(text).map((d) => d.detector),
      ['email', 'phone', 'card', 'iban', 'ssn', 'ipv4', 'ipv6', 'mac'],
    );
  });

  it('should let the longest span win where detectors overlap', () => {
    const d = detectAll('mail 4155550132@example.com today');
    assert.equal(d.length, 1);
    assert.equal(d[0]?.detector, 'email');
  });
});
