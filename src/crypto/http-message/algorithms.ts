import {
  constants,
  createHmac,
  sign as cryptoSign,
  verify as cryptoVerify,
  timingSafeEqual,
  type KeyObject,
} from 'node:crypto';
import type { EcdsaEncoding, SignatureAlgorithm } from './types.js';

/** RFC 9421 §3.3's algorithms as node:crypto runs them, and which keys fit each. */
interface AlgorithmSpec {
  readonly hash: string | null;
  /** Exact signature length where the algorithm fixes it. */
  readonly length: number | undefined;
  readonly fits: (key: KeyObject) => boolean;
}

const isAsymmetric = (key: KeyObject) => key.type === 'public' || key.type === 'private';
const curveOf = (key: KeyObject) => (key.asymmetricKeyType === 'ec' ? key.asymmetricKeyDetails?.namedCurve : undefined);

export const ALGORITHMS: Readonly<Record<SignatureAlgorithm, AlgorithmSpec>> = {
  'ecdsa-p256-sha256': {
    hash: 'sha256',
    length: 64,
    fits: (key) => isAsymmetric(key) && curveOf(key) === 'prime256v1',
  },
  'ecdsa-p384-sha384': { hash: 'sha384', length: 96, fits: (key) => isAsymmetric(key) && curveOf(key) === 'secp384r1' },
  ed25519: { hash: null, length: 64, fits: (key) => isAsymmetric(key) && key.asymmetricKeyType === 'ed25519' },
  'rsa-pss-sha512': {
    hash: 'sha512',
    length: undefined,
    fits: (key) => isAsymmetric(key) && (key.asymmetricKeyType === 'rsa' || key.asymmetricKeyType === 'rsa-pss'),
  },
  'rsa-v1_5-sha256': {
    hash: 'sha256',
    length: undefined,
    fits: (key) => isAsymmetric(key) && key.asymmetricKeyType === 'rsa',
  },
  'hmac-sha256': { hash: 'sha256', length: 32, fits: (key) => key.type === 'secret' },
};

export const isSignatureAlgorithm = (name: string): name is SignatureAlgorithm => Object.hasOwn(ALGORITHMS, name);

export function describeKey(key: KeyObject): string {
  if (key.type === 'secret') return 'secret key';
  const curve = curveOf(key);
  return `${key.type} ${key.asymmetricKeyType ?? 'unknown'}${curve ? ` ${curve}` : ''} key`;
}

function cryptoOptions(algorithm: SignatureAlgorithm, key: KeyObject, ecdsaEncoding: EcdsaEncoding) {
  switch (algorithm) {
    case 'ecdsa-p256-sha256':
    case 'ecdsa-p384-sha384':
      return { key, dsaEncoding: ecdsaEncoding === 'der' ? ('der' as const) : ('ieee-p1363' as const) };
    case 'rsa-pss-sha512':
      return { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 64 };
    case 'rsa-v1_5-sha256':
      return { key, padding: constants.RSA_PKCS1_PADDING };
    default:
      return key;
  }
}

export function verifyBytes(
  algorithm: SignatureAlgorithm,
  data: Buffer,
  signature: Buffer,
  key: KeyObject,
  ecdsaEncoding: EcdsaEncoding = 'raw',
): boolean {
  try {
    if (algorithm === 'hmac-sha256') {
      const mac = createHmac('sha256', key).update(data).digest();
      return mac.length === signature.length && timingSafeEqual(mac, signature);
    }
    return cryptoVerify(ALGORITHMS[algorithm].hash, data, cryptoOptions(algorithm, key, ecdsaEncoding), signature);
  } catch {
    // Malformed encodings and key/parameter mismatches are failed verifications.
    return false;
  }
}

export function signBytes(
  algorithm: SignatureAlgorithm,
  data: Buffer,
  key: KeyObject,
  ecdsaEncoding: EcdsaEncoding = 'raw',
): Buffer {
  if (algorithm === 'hmac-sha256') return createHmac('sha256', key).update(data).digest();
  return cryptoSign(ALGORITHMS[algorithm].hash, data, cryptoOptions(algorithm, key, ecdsaEncoding));
}
