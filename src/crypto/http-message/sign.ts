import { KeywardError } from '../../errors.js';
import { ALGORITHMS, describeKey, isSignatureAlgorithm, signBytes } from './algorithms.js';
import { checkDistinct, componentFromString, type Component } from './components.js';
import { buildBase, parametersOf, serializeSignatureParams } from './signature-base.js';
import { isValidKey } from './structured-fields/index.js';
import type { HttpMessageParts, SignedHttpMessage, SignHttpMessageOptions } from './types.js';

/**
 * Signs `message` (simulators, tests, outgoing requests). Returns one Signature-Input and one
 * Signature dictionary member; append them to existing fields with ", " when several signatures
 * are present. Invalid options or components missing from the message are TypeErrors.
 */
export function signHttpMessage(message: HttpMessageParts, options: SignHttpMessageOptions): SignedHttpMessage {
  const { label, key, algorithm } = options;
  if (!isValidKey(label)) throw new TypeError(`label ${JSON.stringify(label)} is not a structured field key`);
  if (!isSignatureAlgorithm(algorithm)) throw new TypeError(`unsupported algorithm ${String(algorithm)}`);
  if (!ALGORITHMS[algorithm].fits(key) || key.type === 'public') {
    throw new TypeError(`${algorithm} cannot sign with a ${describeKey(key)}`);
  }
  const params = parametersOf({ ...options, alg: options.includeAlg === false ? undefined : algorithm });
  let components: Component[];
  let base: string;
  let signatureParams: string;
  try {
    components = options.components.map(componentFromString);
    checkDistinct(components);
    signatureParams = serializeSignatureParams(components, params);
    base = buildBase(message, components, signatureParams);
  } catch (error) {
    if (error instanceof KeywardError)
      throw new TypeError(`cannot sign: ${error.detail ?? error.message}`, { cause: error });
    throw error;
  }
  const signature = signBytes(algorithm, Buffer.from(base, 'latin1'), key, options.ecdsaEncoding);
  return {
    signatureInput: `${label}=${signatureParams}`,
    signature: `${label}=:${signature.toString('base64')}:`,
    base,
  };
}
