import { asBuffer } from '../../bytes.js';
import { isClass, isValidKey, TOKEN_CHAR, TOKEN_START } from './characters.js';
import type { BareItem, InnerList, Item, Parameters } from './types.js';

// Serialisation (RFC 8941 §4.1). Invalid values are programming errors: TypeError.

function serializeKey(key: string): string {
  if (!isValidKey(key)) throw new TypeError(`not a structured field key: ${JSON.stringify(key)}`);
  return key;
}

/** Serialises a String (§4.1.6): printable ASCII only, `"` and `\` escaped. */
export function serializeString(value: string): string {
  let out = '"';
  let chunk = 0;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c < 0x20 || c > 0x7e) throw new TypeError('structured field strings are printable ASCII only');
    if (c === 0x22 || c === 0x5c) {
      out += `${value.slice(chunk, i)}\\`;
      chunk = i;
    }
  }
  return `${out}${value.slice(chunk)}"`;
}

function serializeDecimal(value: number): string {
  if (!Number.isFinite(value)) throw new TypeError('structured field decimals are finite');
  // Round half to even at three fractional digits (§4.1.5).
  const scaled = Math.abs(value) * 1000;
  const floor = Math.floor(scaled);
  const rest = scaled - floor;
  const rounded = rest > 0.5 || (rest === 0.5 && floor % 2 === 1) ? floor + 1 : floor;
  const integer = Math.floor(rounded / 1000);
  if (integer > 999_999_999_999) throw new TypeError('structured field decimals have at most 12 integer digits');
  const fraction = rounded % 1000;
  const digits = fraction === 0 ? '0' : String(fraction).padStart(3, '0').replace(/0+$/, '');
  return `${value < 0 && rounded !== 0 ? '-' : ''}${integer}.${digits}`;
}

/** Serialises a bare item (§4.1.3). */
export function serializeBareItem(item: BareItem): string {
  switch (item.type) {
    case 'integer':
      if (!Number.isInteger(item.value) || Math.abs(item.value) > 999_999_999_999_999) {
        throw new TypeError('structured field integers have at most 15 digits');
      }
      return String(item.value);
    case 'decimal':
      return serializeDecimal(item.value);
    case 'string':
      return serializeString(item.value);
    case 'token': {
      const v = item.value;
      let ok = v.length > 0 && isClass(v.charCodeAt(0), TOKEN_START);
      for (let i = 1; ok && i < v.length; i++) ok = isClass(v.charCodeAt(i), TOKEN_CHAR);
      if (!ok) throw new TypeError(`not a structured field token: ${JSON.stringify(v)}`);
      return v;
    }
    case 'binary':
      return `:${asBuffer(item.value).toString('base64')}:`;
    case 'boolean':
      return item.value ? '?1' : '?0';
  }
}

/** Serialises parameters (§4.1.1.2): `;key=value`, Boolean true as a bare `;key`. */
export function serializeParameters(params: Parameters): string {
  let out = '';
  for (const [key, value] of params) {
    out += `;${serializeKey(key)}`;
    if (!(value.type === 'boolean' && value.value)) out += `=${serializeBareItem(value)}`;
  }
  return out;
}

/** Serialises an Item with its parameters (§4.1.3). */
export function serializeItem(item: Pick<Item, 'value' | 'params'>): string {
  return serializeBareItem(item.value) + serializeParameters(item.params);
}

/** Serialises an Inner List with its parameters (§4.1.1.1): items separated by one SP. */
export function serializeInnerList(list: Pick<InnerList, 'items' | 'params'>): string {
  let out = '(';
  for (let i = 0; i < list.items.length; i++) {
    if (i > 0) out += ' ';
    out += serializeItem(list.items[i]!);
  }
  return `${out})${serializeParameters(list.params)}`;
}
