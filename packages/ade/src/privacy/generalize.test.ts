import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ValidationError } from '../kernel/index.js';
import { generalizeAge, generalizeCoordinate, generalizeIp, generalizeLatLong, generalizeTimestamp, generalizeZip } from './generalize.js';
import { formatIPv6, parseIPv6 } from './ip.js';

describe('generalizeTimestamp', () => {
  it('should cut ISO strings and Dates to day, month or year in UTC', () => {
    assert.equal(generalizeTimestamp('2024-03-07T12:30:00Z', 'day'), '2024-03-07');
    assert.equal(generalizeTimestamp('2024-03-07T12:30:00Z', 'month'), '2024-03');
    assert.equal(generalizeTimestamp('2024-03-07', 'year'), '2024');
    assert.equal(generalizeTimestamp('2024-03-07T23:30:00-02:00', 'day'), '2024-03-08');
    assert.equal(generalizeTimestamp('2024-03-07 10:00:00', 'month'), '2024-03');
    assert.equal(generalizeTimestamp(new Date(Date.UTC(1999, 11, 31, 23, 59)), 'month'), '1999-12');
  });
  it('should refuse non-dates and unknown grains', () => {
    assert.throws(() => generalizeTimestamp('yesterday', 'day'), ValidationError);
    assert.throws(() => generalizeTimestamp('2024-13-45', 'day'), ValidationError);
    assert.throws(() => generalizeTimestamp(new Date(NaN), 'day'), ValidationError);
    assert.throws(() => generalizeTimestamp('2024-03-07', 'week' as 'day'), ValidationError);
  });
});

describe('generalizeZip', () => {
  it('should keep a prefix of the code', () => {
    assert.equal(generalizeZip('94107'), '941');
    assert.equal(generalizeZip('94107-1234', 5), '94107');
    assert.equal(generalizeZip('sw1a 1aa', 3), 'SW1');
  });
  it('should refuse bad prefix lengths and non-codes', () => {
    assert.throws(() => generalizeZip('94107', 0), ValidationError);
    assert.throws(() => generalizeZip('94107', 2.5), ValidationError);
    assert.throws(() => generalizeZip('941/07'), ValidationError);
  });
});

describe('generalizeIp', () => {
  it('should cut IPv4 to /24 by default and to other prefixes when asked', () => {
    assert.equal(generalizeIp('192.168.13.77'), '192.168.13.0/24');
    assert.equal(generalizeIp('192.168.13.77', { v4Prefix: 16 }), '192.168.0.0/16');
    assert.equal(generalizeIp('10.1.2.3', { v4Prefix: 0 }), '0.0.0.0/0');
    assert.equal(generalizeIp('10.1.2.3', { v4Prefix: 32 }), '10.1.2.3/32');
  });
  it('should cut IPv6 to /48 including compressed and IPv4-embedded forms', () => {
    assert.equal(generalizeIp('2001:0db8:85a3:0000:0000:8a2e:0370:7334'), '2001:db8:85a3::/48');
    assert.equal(generalizeIp('2001:db8::1'), '2001:db8::/48');
    assert.equal(generalizeIp('::1'), '::/48');
    assert.equal(generalizeIp('fe80::1:2:3:4', { v6Prefix: 64 }), 'fe80::/64');
    assert.equal(generalizeIp('2001:db8:abcd:12ff::1', { v6Prefix: 56 }), '2001:db8:abcd:1200::/56');
    assert.equal(generalizeIp('::ffff:192.0.2.128', { v6Prefix: 120 }), '::ffff:c000:200/120');
  });
  it('should refuse non-addresses and bad prefixes', () => {
    for (const bad of ['256.1.1.1', '1.2.3', '01.2.3.4', '1:2:3:4:5:6:7:8:9', '1::2::3', 'gggg::1', 'hello']) {
      assert.throws(() => generalizeIp(bad), ValidationError, bad);
    }
    assert.throws(() => generalizeIp('1.2.3.4', { v4Prefix: 33 }), ValidationError);
    assert.throws(() => generalizeIp('::1', { v6Prefix: -1 }), ValidationError);
  });
  it('should format IPv6 per RFC 5952', () => {
    assert.equal(formatIPv6(parseIPv6('2001:db8:0:0:1:0:0:1') ?? []), '2001:db8::1:0:0:1');
    assert.equal(formatIPv6(parseIPv6('2001:db8:0:1:1:1:1:1') ?? []), '2001:db8:0:1:1:1:1:1');
    assert.equal(formatIPv6(parseIPv6('::') ?? []), '::');
  });
});

describe('generalizeCoordinate and generalizeLatLong', () => {
  it('should round to the given decimals', () => {
    assert.equal(generalizeCoordinate(37.774929, 2), 37.77);
    assert.equal(generalizeCoordinate(-122.419416, 3), -122.419);
    assert.equal(generalizeCoordinate(-0.001, 2), 0);
    assert.deepEqual(generalizeLatLong(51.50735, -0.12776), [51.51, -0.13]);
  });
  it('should refuse out-of-range coordinates and bad decimals', () => {
    assert.throws(() => generalizeLatLong(91, 0), ValidationError);
    assert.throws(() => generalizeLatLong(0, 181), ValidationError);
    assert.throws(() => generalizeCoordinate(NaN), ValidationError);
    assert.throws(() => generalizeCoordinate(1, -1), ValidationError);
  });
});

describe('generalizeAge', () => {
  it('should band ages by decade and top-code the oldest', () => {
    assert.equal(generalizeAge(34), '30-39');
    assert.equal(generalizeAge(0), '0-9');
    assert.equal(generalizeAge(39.9), '30-39');
    assert.equal(generalizeAge(97), '90+');
    assert.equal(generalizeAge(23, { width: 5, topCode: 80 }), '20-24');
  });
  it('should refuse impossible ages and bad bands', () => {
    assert.throws(() => generalizeAge(-1), ValidationError);
    assert.throws(() => generalizeAge(200), ValidationError);
    assert.throws(() => generalizeAge(30, { width: 0 }), ValidationError);
    assert.throws(() => generalizeAge(30, { width: 10, topCode: 85 }), ValidationError);
  });
});
