import type { KeyObject } from 'node:crypto';
import { DerReader } from '../asn1/der.js';
import { timeError, trustError } from '../../errors.js';
import { ALGORITHMS, describeKey, isSignatureAlgorithm, verifyBytes } from './algorithms.js';
import { checkDistinct, componentFromItem, componentFromString } from './components.js';
import { malformed, missing, policyViolation } from './failures.js';
import { buildBase, serializeSignatureParams } from './signature-base.js';
import { parseSignatureField, readParameters } from './signature-fields.js';
import type {
  EcdsaEncoding,
  HttpMessageParts,
  SignatureAlgorithm,
  SignaturePolicy,
  VerifiedHttpSignature,
} from './types.js';

function selectAlgorithm(alg: string | undefined, policy: SignaturePolicy, key: KeyObject): SignatureAlgorithm {
  if (alg !== undefined) {
    if (!isSignatureAlgorithm(alg) || !policy.algorithms.includes(alg))
      throw policyViolation(`alg ${JSON.stringify(alg)} is not allowed`);
    if (!ALGORITHMS[alg].fits(key)) throw policyViolation(`alg ${alg} does not fit the ${describeKey(key)}`);
    return alg;
  }
  let selected: SignatureAlgorithm | undefined;
  for (const candidate of policy.algorithms) {
    if (!ALGORITHMS[candidate].fits(key)) continue;
    if (selected !== undefined && selected !== candidate) {
      throw policyViolation(`no alg parameter and the ${describeKey(key)} fits both ${selected} and ${candidate}`);
    }
    selected = candidate;
  }
  if (selected === undefined) throw policyViolation(`the ${describeKey(key)} fits none of the allowed algorithms`);
  return selected;
}

/** A strict DER ECDSA-Sig-Value: SEQUENCE { r INTEGER, s INTEGER }, both positive and at most `fieldBytes` long, nothing trailing. */
function isDerEcdsaSignature(signature: Buffer, fieldBytes: number): boolean {
  const limit = 1n << BigInt(fieldBytes * 8);
  try {
    const outer = new DerReader(signature, 'SIGNATURE_MALFORMED');
    const sequence = outer.sequence('ECDSA-Sig-Value');
    outer.end('ECDSA-Sig-Value');
    for (const part of ['r', 's']) {
      const value = sequence.integer(part);
      if (value <= 0n || value >= limit) return false;
    }
    sequence.end('ECDSA-Sig-Value');
    return true;
  } catch {
    return false;
  }
}

/**
 * The signature's encoding, told apart by shape: exactly the algorithm's length is raw (RFC
 * 9421), a DER SEQUENCE is DER (never 64 or 96 bytes long for P-256 and P-384 values that fit).
 */
function signatureEncoding(
  algorithm: SignatureAlgorithm,
  signature: Buffer,
  policy: SignaturePolicy,
): EcdsaEncoding | undefined {
  const expectedLength = ALGORITHMS[algorithm].length;
  const ecdsa = algorithm === 'ecdsa-p256-sha256' || algorithm === 'ecdsa-p384-sha384';
  if (expectedLength !== undefined && signature.length === expectedLength) return ecdsa ? 'raw' : undefined;
  if (ecdsa && isDerEcdsaSignature(signature, expectedLength! / 2)) {
    if (!(policy.ecdsaEncodings ?? ['raw']).includes('der'))
      throw policyViolation(`${algorithm} signature is DER-encoded; only raw r‖s is allowed`);
    return 'der';
  }
  if (expectedLength === undefined) return undefined;
  throw malformed(`${algorithm} signature is ${signature.length} bytes, expected ${expectedLength}`);
}

function assertCanonicalComponent(id: string): void {
  let canonical: string | undefined;
  try {
    canonical = componentFromString(id).id;
  } catch {
    // reported below
  }
  if (canonical !== id)
    throw new TypeError(`policy component ${JSON.stringify(id)} is not a valid component identifier in canonical form`);
}

/**
 * Verifies the signature labelled `policy.label` on `message` with `key` (synchronous,
 * node:crypto). ECDSA signatures are raw r‖s unless `policy.ecdsaEncodings` admits DER. Throws a KeywardError: CONTENT SIGNATURE_MISSING / SIGNATURE_MALFORMED, TRUST
 * SIGNATURE_POLICY_VIOLATION / SIGNATURE_INVALID, TIME SIGNATURE_EXPIRED / SIGNATURE_NOT_YET_VALID.
 */
export function verifyHttpSignature(
  message: HttpMessageParts,
  policy: SignaturePolicy,
  key: KeyObject,
): VerifiedHttpSignature {
  const label = policy.label;
  const inputs = parseSignatureField(message, 'signature-input');
  const signatures = parseSignatureField(message, 'signature');
  if (inputs === undefined || signatures === undefined) {
    throw missing(`no ${inputs === undefined ? 'Signature-Input' : 'Signature'} field`);
  }
  const input = inputs.members.get(label);
  const signatureMember = signatures.members.get(label);
  if (input === undefined || signatureMember === undefined) {
    throw missing(`label ${label} is not in ${input === undefined ? 'Signature-Input' : 'Signature'}`);
  }
  if (input.kind !== 'inner-list') throw malformed(`Signature-Input ${label} is not an inner list`);
  if (signatureMember.kind !== 'item' || signatureMember.value.type !== 'binary') {
    throw malformed(`Signature ${label} is not a byte sequence`);
  }
  const signature = signatureMember.value.value;

  const components = input.items.map(componentFromItem);
  checkDistinct(components);
  const params = readParameters(input.params);

  if (policy.requireAlg && params.alg === undefined) throw policyViolation('the signature has no alg parameter');
  const algorithm = selectAlgorithm(params.alg, policy, key);
  const encoding = signatureEncoding(algorithm, signature, policy);
  if (encoding === 'raw' && !(policy.ecdsaEncodings ?? ['raw']).includes('raw')) {
    throw policyViolation(`${algorithm} signature is raw r‖s; only DER is allowed`);
  }
  for (const required of policy.requiredComponents) {
    if (!components.some((component) => component.id === required)) {
      assertCanonicalComponent(required);
      throw policyViolation(`required component ${required} is not covered`);
    }
  }
  if (policy.requireKeyId !== undefined && params.keyid !== policy.requireKeyId) {
    throw policyViolation(`keyid ${JSON.stringify(params.keyid)} is not ${JSON.stringify(policy.requireKeyId)}`);
  }

  const now = policy.now / 1000;
  const skew = policy.maxSkewSeconds ?? 30;
  const { created, expires } = params;
  if (created !== undefined && created > now + skew) {
    throw timeError('SIGNATURE_NOT_YET_VALID', 'The HTTP message signature is not yet valid.', {
      detail: `created ${created} is ${Math.round(created - now)} s ahead of now (skew ${skew} s)`,
    });
  }
  if (policy.maxAgeSeconds !== undefined) {
    if (created === undefined) throw policyViolation('the signature has no created parameter');
    if (now - created > policy.maxAgeSeconds) {
      throw timeError('SIGNATURE_EXPIRED', 'The HTTP message signature has expired.', {
        detail: `created ${created} is ${Math.round(now - created)} s old (max ${policy.maxAgeSeconds} s)`,
      });
    }
  }
  if (expires !== undefined && now >= expires + skew) {
    throw timeError('SIGNATURE_EXPIRED', 'The HTTP message signature has expired.', {
      detail: `expires ${expires} is ${Math.round(now - expires)} s in the past (skew ${skew} s)`,
    });
  }

  const base = buildBase(message, components, serializeSignatureParams(components, input.params));
  if (!verifyBytes(algorithm, Buffer.from(base, 'latin1'), signature, key, encoding)) {
    throw trustError('SIGNATURE_INVALID', 'The HTTP message signature is invalid.', {
      detail: `${algorithm}${encoding === 'der' ? ' (DER)' : ''} signature ${label} does not verify with the ${describeKey(key)}`,
    });
  }

  const verified: VerifiedHttpSignature = {
    label,
    components: components.map((component) => component.id),
    algorithm,
    base,
  };
  if (encoding !== undefined) verified.ecdsaEncoding = encoding;
  if (created !== undefined) verified.created = created;
  if (expires !== undefined) verified.expires = expires;
  if (params.keyid !== undefined) verified.keyid = params.keyid;
  if (params.alg !== undefined) verified.alg = params.alg;
  if (params.nonce !== undefined) verified.nonce = params.nonce;
  if (params.tag !== undefined) verified.tag = params.tag;
  return verified;
}
