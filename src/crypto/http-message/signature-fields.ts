import { KeywardError } from '../../errors.js';
import { parseDictionary, type Dictionary, type Parameters } from './structured-fields/index.js';
import { fieldValue } from './component-values.js';
import { malformed } from './failures.js';
import type { HttpMessageParts, SignatureParameters } from './types.js';

/** Reading the Signature-Input and Signature fields (RFC 9421 §4): strict Dictionaries, no duplicate labels or parameters. */
export function parseSignatureField(message: HttpMessageParts, name: string): Dictionary | undefined {
  const value = fieldValue(message.headers, name, false);
  if (value === undefined) return undefined;
  let dictionary: Dictionary;
  try {
    dictionary = parseDictionary(value);
  } catch (error) {
    if (error instanceof KeywardError) throw malformed(`${name}: ${error.detail ?? error.message}`, error);
    throw error;
  }
  if (dictionary.duplicates.length > 0)
    throw malformed(`${name}: duplicate labels ${dictionary.duplicates.join(', ')}`);
  if (dictionary.duplicateParameters.length > 0) {
    throw malformed(`${name}: duplicate parameters ${dictionary.duplicateParameters.join(', ')}`);
  }
  return dictionary;
}

export function readParameters(params: Parameters): SignatureParameters {
  const out: SignatureParameters = {};
  for (const [key, value] of params) {
    switch (key) {
      case 'created':
      case 'expires':
        if (value.type !== 'integer') throw malformed(`${key} is a ${value.type}, not an integer`);
        out[key] = value.value;
        break;
      case 'keyid':
      case 'alg':
      case 'nonce':
      case 'tag':
        if (value.type !== 'string') throw malformed(`${key} is a ${value.type}, not a string`);
        out[key] = value.value;
        break;
      default:
      // Other parameters are not interpreted; they are covered through @signature-params.
    }
  }
  return out;
}
