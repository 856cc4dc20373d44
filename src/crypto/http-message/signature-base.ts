import { serializeParameters, type BareItem, type Parameters } from './structured-fields/index.js';
import { checkDistinct, componentFromString, type Component, type Derived } from './components.js';
import {
  authorityValue,
  fieldValue,
  METHOD,
  queryParamValue,
  schemeValue,
  splitTarget,
  type SplitTarget,
} from './component-values.js';
import { malformed } from './failures.js';
import type { ComponentIdentifier, HttpMessageParts, SignatureParameters } from './types.js';

/** Builds the signature base (RFC 9421 §2.5); `signatureParams` is the serialised @signature-params value. */
export function buildBase(
  message: HttpMessageParts,
  components: readonly Component[],
  signatureParams: string,
): string {
  let split: SplitTarget | undefined;
  let base = '';
  for (const component of components) {
    let value: string;
    switch (component.name as Derived) {
      case '@method':
        if (message.method === undefined) throw malformed('the message has no method');
        if (!METHOD.test(message.method)) throw malformed('the method is not a token');
        value = message.method;
        break;
      case '@target-uri':
        split ??= splitTarget(message.target);
        value = split.absolute
          ? message.target!
          : `${schemeValue(message)}://${authorityValue(message)}${split.asterisk ? '' : message.target!}`;
        break;
      case '@authority':
        value = authorityValue(message);
        break;
      case '@scheme':
        value = schemeValue(message);
        break;
      case '@request-target':
        split ??= splitTarget(message.target);
        value = message.target!;
        break;
      case '@path':
        split ??= splitTarget(message.target);
        value = split.path;
        break;
      case '@query':
        split ??= splitTarget(message.target);
        value = `?${split.query ?? ''}`;
        break;
      case '@query-param':
        split ??= splitTarget(message.target);
        value = queryParamValue(split.query, component.queryName!);
        break;
      case '@status': {
        const status = message.status;
        if (status === undefined) throw malformed('the message has no status');
        if (!Number.isInteger(status) || status < 100 || status > 999)
          throw malformed(`status ${status} is not three digits`);
        value = String(status);
        break;
      }
      default: {
        const field = fieldValue(message.headers, component.name);
        if (field === undefined) throw malformed(`covered field ${component.name} is not in the message`);
        value = field;
      }
    }
    base += `${component.label}: ${value}\n`;
  }
  return `${base}"@signature-params": ${signatureParams}`;
}

export function serializeSignatureParams(components: readonly Component[], params: Parameters): string {
  let list = '(';
  for (let i = 0; i < components.length; i++) list += i === 0 ? components[i]!.label : ` ${components[i]!.label}`;
  return `${list})${serializeParameters(params)}`;
}

export function parametersOf(params: SignatureParameters): Map<string, BareItem> {
  const out = new Map<string, BareItem>();
  for (const key of ['created', 'expires'] as const) {
    const value = params[key];
    if (value === undefined) continue;
    if (!Number.isSafeInteger(value)) throw new TypeError(`${key} must be an integer (epoch seconds)`);
    out.set(key, { type: 'integer', value });
  }
  for (const key of ['keyid', 'alg', 'nonce', 'tag'] as const) {
    const value = params[key];
    if (value !== undefined) out.set(key, { type: 'string', value });
  }
  return out;
}

/**
 * The signature base for `components` (this API's string form) and `params` (written in the
 * order created, expires, keyid, alg, nonce, tag). Throws SIGNATURE_MALFORMED when a component
 * is invalid, duplicated or missing from the message.
 */
export function signatureBase(
  message: HttpMessageParts,
  components: readonly ComponentIdentifier[],
  params: SignatureParameters = {},
): string {
  const parsed = components.map(componentFromString);
  checkDistinct(parsed);
  return buildBase(message, parsed, serializeSignatureParams(parsed, parametersOf(params)));
}
