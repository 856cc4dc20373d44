import { createHash, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { emulatedKeyClientData } from '../attestation/apple/emulated-key.js';
import { encodeName } from '../crypto/x509/certificate-builder.js';
import * as der from '../crypto/asn1/der-writer.js';
import { ecPoint, spkiOf } from '../crypto/keys.js';
import type { WardenChallenge, WardenResponse } from '../features/warden/schemas.js';
import type { AndroidDeviceSimulator } from './android/device.js';
import type { SimulatedAppleDevice } from './apple/device.js';
import { certificationRequestInfo, signedCsr, sortedAttributes, type CsrAttributeSpec } from './csr-builder.js';

const SERIAL_NUMBER = '2.5.4.5';
const COMMON_NAME = '2.5.4.3';
const HASHES = { SHA256: 'sha256', SHA384: 'sha384', SHA512: 'sha512' } as const;

export type SimulatedDevice =
  | { platform: 'android'; device: AndroidDeviceSimulator; packageName?: string }
  | { platform: 'ios'; device: SimulatedAppleDevice };

export interface ProofOptions {
  deviceName?: string;
  /** Make the request for another key than the attested one (a negative test). */
  otherKey?: boolean;
  /** Corrupt the CSR signature (a negative test). */
  badSignature?: boolean;
  /** Put this nonce in the subject instead of the challenge's (a negative test). */
  subjectNonce?: Buffer;
  /** Proof attribute copies: 0 leaves it out, 2 duplicates it (negative tests). */
  proofCopies?: number;
  at?: number;
}

export interface BuiltProof {
  body: Buffer;
  /** The key the request is for. */
  privateKey: KeyObject;
}

/**
 * What a Warden Supreme client does with a challenge: generate a hardware key (here: simulated),
 * attest it with the challenge's nonce (or, in HASH mode, the digest of the request's other
 * content), and wrap the proof in a CSR (signed, or the bare CertificationRequestInfo for HASH).
 */
export async function buildProof(
  challenge: WardenChallenge,
  simulated: SimulatedDevice,
  options: ProofOptions = {},
): Promise<BuiltProof> {
  const nonce = Buffer.from(challenge.nonce, 'base64url');
  const at = options.at ?? Date.now();
  const subject = [
    [COMMON_NAME, options.deviceName ?? 'Keyward simulated device'],
    [SERIAL_NUMBER, (options.subjectNonce ?? nonce).toString('hex').toUpperCase()],
  ] as const;
  const extra: CsrAttributeSpec[] =
    options.deviceName && challenge.genericDeviceNameOID
      ? [{ oid: challenge.genericDeviceNameOID, values: [der.utf8String(options.deviceName)] }]
      : [];
  const hash = challenge.dataAuth.type === 'HASH' ? HASHES[challenge.dataAuth.algorithm] : undefined;
  // HASH mode binds the subject and the other attributes: the attestation challenge is their digest.
  const attestationChallenge = hash
    ? createHash(hash)
        .update(
          der.sequence(
            der.integer(0),
            encodeName(subject),
            der.element(2, true, 0, Buffer.concat(sortedAttributes(extra))),
          ),
        )
        .digest()
    : nonce;

  let key: { privateKey: KeyObject; publicKey: KeyObject };
  let statement: Record<string, unknown>;
  if (simulated.platform === 'android') {
    const attestation = await simulated.device.attest(
      { challenge: attestationChallenge, ...(simulated.packageName ? { packageName: simulated.packageName } : {}) },
      { at },
    );
    key = { privateKey: attestation.privateKey, publicKey: attestation.publicKey };
    statement = { typ: 'android-key', x5c: attestation.chain.map((certificate) => certificate.toString('base64url')) };
  } else {
    key = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const clientDataJSON = emulatedKeyClientData(ecPoint(key.publicKey), attestationChallenge);
    const attestation = await simulated.device.attest(clientDataJSON, { at });
    statement = {
      typ: 'ios-appattest',
      attestation: attestation.toString('base64url'),
      clientDataJSON: clientDataJSON.toString('base64url'),
    };
  }

  const requestKey = options.otherKey ? generateKeyPairSync('ec', { namedCurve: 'P-256' }) : key;
  const proof: CsrAttributeSpec = { oid: challenge.proofOID, values: [der.utf8String(JSON.stringify(statement))] };
  const copies = options.proofCopies ?? 1;
  const attributes = [...extra, ...Array.from({ length: copies }, () => proof)];
  const info = certificationRequestInfo(subject, spkiOf(requestKey.publicKey), attributes);
  if (hash) return { body: info, privateKey: requestKey.privateKey };
  const body = signedCsr(info, requestKey.privateKey);
  if (options.badSignature) body[body.length - 3] = body[body.length - 3]! ^ 0x01;
  return { body, privateKey: requestKey.privateKey };
}

export interface WardenFlowResult {
  challenge: WardenChallenge;
  status: number;
  /** The Success or Failure JSON. */
  response: WardenResponse;
  privateKey: KeyObject;
}

/** How the flow talks HTTP: `fetch` by default; a load generator may bring a cheaper client. */
export type HttpTransport = (request: {
  method: 'GET' | 'POST' | 'DELETE';
  url: string;
  body?: Buffer;
  contentType?: string;
  headers?: Record<string, string>;
}) => Promise<{ status: number; text: string }>;

export const fetchTransport: HttpTransport = async ({ method, url, body, contentType, headers }) => {
  try {
    const response = await fetch(url, {
      method,
      headers: { ...headers, ...(body ? { 'content-type': contentType ?? 'application/octet-stream' } : {}) },
      ...(body ? { body } : {}),
    });
    return { status: response.status, text: await response.text() };
  } catch (error) {
    // fetch says only "fetch failed"; why (refused, unknown host, reset) is in its cause.
    throw new Error(`${method} ${url} failed: ${failureReason(error)}`, { cause: error });
  }
};

function failureReason(error: unknown): string {
  const cause = (error as { cause?: unknown }).cause ?? error;
  if (cause instanceof AggregateError && cause.errors.length > 0)
    return cause.errors.map((each: Error) => each.message).join('; ');
  return cause instanceof Error ? cause.message || (cause as NodeJS.ErrnoException).code || cause.name : String(cause);
}

/** The whole flow against a running server: GET the challenge, build the proof, POST it to the attestation endpoint. */
export async function runWardenFlow(
  baseUrl: string,
  simulated: SimulatedDevice,
  options: ProofOptions & { policy?: string; transport?: HttpTransport } = {},
): Promise<WardenFlowResult> {
  const transport = options.transport ?? fetchTransport;
  const challengeUrl = `${baseUrl.replace(/\/+$/, '')}/api/v1/${options.policy ? `${options.policy}/` : ''}challenge`;
  const challengeResponse = await transport({ method: 'GET', url: challengeUrl });
  if (challengeResponse.status !== 200)
    throw new Error(`GET ${challengeUrl} answered ${challengeResponse.status}: ${challengeResponse.text}`);
  const challenge = JSON.parse(challengeResponse.text) as WardenChallenge;
  const proof = await buildProof(challenge, simulated, options);
  const response = await transport({ method: 'POST', url: challenge.attestationEndpoint, body: proof.body });
  return {
    challenge,
    status: response.status,
    response: JSON.parse(response.text) as WardenResponse,
    privateKey: proof.privateKey,
  };
}
