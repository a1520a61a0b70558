import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { classifyFieldName, fieldWords } from './field-names.js';

describe('classifyFieldName', () => {
  it('should split camelCase, kebab-case and paths into words', () => {
    assert.equal(fieldWords('billingAddressLine1'), 'billing_address_line1');
    assert.equal(fieldWords('items[].First-Name'), 'items_first_name');
  });

  it('should recognise birth dates, street addresses, names, emails and phones', () => {
    const cases: Record<string, string> = {
      dob: 'birth_date',
      birth_date: 'birth_date',
      dateOfBirth: 'birth_date',
      birthday: 'birth_date',
      street: 'street_address',
      address_line1: 'street_address',
      'billing.addressLine2': 'street_address',
      street_address: 'street_address',
      name: 'person_name',
      first_name: 'person_name',
      lastName: 'person_name',
      full_name: 'person_name',
      surname: 'person_name',
      'customer.fname': 'person_name',
      email: 'email',
      'properties.email': 'email',
      emailAddress: 'email',
      phone: 'phone',
      phone_number: 'phone',
      mobileNumber: 'phone',
      tel: 'phone',
    };
    for (const [field, category] of Object.entries(cases)) assert.equal(classifyFieldName(field), category, field);
  });

  it('should leave look-alike field names alone', () => {
    for (const field of ['filename', 'hostname', 'product_name', 'email_verified', 'ip_address', 'event_name', 'product.name', 'username_length', 'amount', 'address_type', 'telemetry', 'named_range']) {
      assert.equal(classifyFieldName(field), undefined, field);
    }
  });
});
