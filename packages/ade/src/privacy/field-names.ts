/** Personal data a column name suggests even when its values match no detector. */
export type FieldNameCategory = 'birth_date' | 'street_address' | 'person_name' | 'email' | 'phone';

/**
 * Splits a field name into lower-case words: camelCase, PascalCase, snake_case,
 * kebab-case, dotted paths and `items[]` all become `_`-joined words.
 */
export function fieldWords(name: string): string {
  return name
    .replace(/\[\]/g, '')
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1_$2')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '');
}

const RULES: readonly (readonly [FieldNameCategory, RegExp])[] = [
  ['email', /(^|_)(e_?mail|email_?address|mail)($|_)/],
  ['phone', /(^|_)(phone(_?number)?|phone_?no|tel|telephone|mobile(_?number)?|cell(_?phone)?|fax|msisdn|whatsapp)($|_)/],
  ['birth_date', /(^|_)(dob|d_o_b|birth_?date|date_of_birth|birth_?day|birth_dt|born_on|geburtsdatum|date_naissance)($|_)/],
  [
    'street_address',
    /(^|_)(street(_?address)?|street_?name|address(_?line)?_?\d?|addr(_?line)?_?\d?|home_address|mailing_address|postal_address|billing_address|shipping_address|house_?number|strasse|adresse)($|_)/,
  ],
  [
    'person_name',
    /(^|_)((first|last|full|middle|given|family|maiden|sur|nick|display|legal|customer|contact|person|patient|employee|owner|holder|card_holder|cardholder)_?name|fname|lname|surname|forename|name|vorname|nachname|nom|prenom)($|_)/,
  ],
];

/** Names that contain a personal word but denote something else. */
const NOT_PERSONAL = /(^|_)(file|host|domain|table|column|field|event|product|company|brand|app|bucket|queue|schema|model|display_name_key|user_agent|ip_address|mac_address|email_(verified|opt_in|count|domain|status|sent)|phone_(verified|type|country)|name_(id|key|length)|address_(type|id|verified))($|_)/;

/**
 * The kind of personal data a field name suggests, or undefined. Matches whole
 * words: `first_name`, `lastName`, `dob`, `billing.address_line1`,
 * `customer.email`, `mobile_number`; not `filename`, `hostname`,
 * `product_name`, `email_verified`.
 */
export function classifyFieldName(name: string): FieldNameCategory | undefined {
  const path = name.split('.');
  const leaf = fieldWords(path[path.length - 1] ?? name);
  if (leaf === '' || NOT_PERSONAL.test(leaf)) return undefined;
  // A bare `name` belongs to its parent: `product.name` is not a person's.
  const parent = path.length > 1 ? fieldWords(path[path.length - 2] ?? '') : '';
  if (leaf === 'name' && parent !== '' && NOT_PERSONAL.test(parent)) return undefined;
  for (const [category, re] of RULES) if (re.test(leaf)) return category;
  return undefined;
}
