import { COSE_ALGORITHM_IDS, REQUIREMENTS, type Requirement } from '../../config/fido2.js';
import { contentError } from '../../errors.js';

/**
 * What a ceremony's result must be checked against, fixed when its options were issued: the
 * ceremony, the user, the user-verification requirement and (registration) the algorithms offered.
 */
export interface Ceremony {
  kind: 'registration' | 'authentication';
  /** The user's handle (base64url); absent for a sign-in without a user name (discoverable credentials). */
  userHandle?: string;
  userVerification: Requirement;
  /** COSE algorithms offered (registration); empty for authentication. */
  algorithms: readonly number[];
}

/** Random bytes of every WebAuthn challenge: the part the challenge service issues, checks and consumes. */
export const NONCE_BYTES = 24;

const VERSION = 1;
const KINDS = ['registration', 'authentication'] as const;
/** The fixed order of the algorithm bit mask (the configuration's order is a preference, not an identity). */
const ALGORITHM_BITS: readonly number[] = Object.values(COSE_ALGORITHM_IDS);
const HEADER_BYTES = 5;

const unreadable = (detail: string) =>
  contentError('CEREMONY_CHALLENGE_UNREADABLE', 'The challenge is not one this server issued.', { detail });

/**
 * The ceremony in 5 + handle bytes: version ‖ kind ‖ user verification ‖ algorithm mask (2) ‖
 * handle length ‖ handle.
 */
function describe(ceremony: Ceremony): Buffer {
  const handle = ceremony.userHandle === undefined ? Buffer.alloc(0) : Buffer.from(ceremony.userHandle, 'base64url');
  if (handle.length > 255) throw new TypeError('user handle longer than 255 bytes');
  let mask = 0;
  for (const alg of ceremony.algorithms) {
    const bit = ALGORITHM_BITS.indexOf(alg);
    if (bit < 0) throw new TypeError(`unknown COSE algorithm ${alg}`);
    mask |= 1 << bit;
  }
  const header = Buffer.alloc(HEADER_BYTES);
  header[0] = VERSION;
  header[1] = KINDS.indexOf(ceremony.kind);
  header[2] = REQUIREMENTS.indexOf(ceremony.userVerification);
  header.writeUInt16BE(mask, 3);
  return Buffer.concat([header, Buffer.from([handle.length]), handle]);
}

/**
 * The challenge subject a ceremony is bound to, e.g. `registration:<handle>:uv=required:alg=…`
 * or `authentication:*:uv=preferred:alg=`. Issue and check name the same subject, and the
 * challenge service compares it exactly: a result whose challenge was altered to claim another
 * user or laxer parameters is refused as issued for a different subject.
 */
export function ceremonySubject(ceremony: Ceremony): string {
  const algorithms = [...ceremony.algorithms].sort((a, b) => a - b).join(',');
  return `${ceremony.kind}:${ceremony.userHandle ?? '*'}:uv=${ceremony.userVerification}:alg=${algorithms}`;
}

/**
 * The challenge a client signs: the nonce the challenge service issued followed by the ceremony's
 * description, so a result is checked against the parameters its options were issued with without
 * keeping them anywhere but in the challenge store's subject. The nonce stays the secret part.
 */
export function ceremonyChallenge(nonce: Uint8Array, ceremony: Ceremony): Buffer {
  if (nonce.length !== NONCE_BYTES) throw new TypeError(`nonce must be ${NONCE_BYTES} bytes`);
  return Buffer.concat([nonce, describe(ceremony)]);
}

/** The nonce and the ceremony a challenge (raw bytes) claims; CEREMONY_CHALLENGE_UNREADABLE when it cannot be one of ours. */
export function readCeremonyChallenge(challenge: Uint8Array): { nonce: Buffer; ceremony: Ceremony } {
  const bytes = Buffer.from(challenge);
  if (bytes.length < NONCE_BYTES + HEADER_BYTES + 1) throw unreadable(`challenge of ${bytes.length} bytes`);
  const nonce = bytes.subarray(0, NONCE_BYTES);
  const header = bytes.subarray(NONCE_BYTES, NONCE_BYTES + HEADER_BYTES);
  const handleLength = bytes[NONCE_BYTES + HEADER_BYTES]!;
  const handle = bytes.subarray(NONCE_BYTES + HEADER_BYTES + 1);
  const kind = KINDS[header[1]!];
  const userVerification = REQUIREMENTS[header[2]!];
  if (header[0] !== VERSION || !kind || !userVerification || handle.length !== handleLength)
    throw unreadable('malformed ceremony description');
  const mask = header.readUInt16BE(3);
  if (mask >> ALGORITHM_BITS.length !== 0) throw unreadable('unknown algorithm bits');
  const algorithms = ALGORITHM_BITS.filter((_, bit) => (mask & (1 << bit)) !== 0);
  return {
    nonce,
    ceremony: {
      kind,
      ...(handleLength > 0 ? { userHandle: handle.toString('base64url') } : {}),
      userVerification,
      algorithms,
    },
  };
}

/** The challenge of a clientDataJSON, decoded, before the verifiers check the rest of it. */
export function challengeOfClientData(clientDataJSON: Uint8Array): Buffer {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(clientDataJSON).toString('utf8'));
  } catch {
    throw unreadable('clientDataJSON is not JSON');
  }
  const challenge = (parsed as { challenge?: unknown } | null)?.challenge;
  if (typeof challenge !== 'string' || !/^[A-Za-z0-9_-]+$/.test(challenge) || challenge.length % 4 === 1)
    throw unreadable('clientDataJSON has no base64url challenge');
  return Buffer.from(challenge, 'base64url');
}
