import { sha256 } from '../../crypto/keys.js';
import { contentError, trustError } from '../../errors.js';
import { describeKey } from '../attested-key.js';
import type { AttestationResult } from '../result.js';
import { decodeAttestationObject, ATTESTATION_MALFORMED } from './attestation-object.js';
import { parseAttestedAuthenticatorData } from './authenticator-data.js';
import { asBuffer, sameBytes } from '../../crypto/bytes.js';
import { coseKeyIsPoint } from './cose-key.js';
import { verifyCredentialChain } from './credential-chain.js';
import { readNonce, readOsInfo, type CredentialCertificate } from './credential-certificate.js';
import { environmentOf, type AppAttestEnvironment } from './environment.js';
import type { TrustAnchors } from '../../crypto/x509/chain.js';
import type { AppIds } from './app-ids.js';
import { verifyAppAttestReceipt, type AppAttestReceipt } from './receipt.js';

export interface AppleVerifierOptions {
  appIds: AppIds;
  environment: AppAttestEnvironment | 'any';
  /** Roots credential certificates must chain to. */
  anchors: TrustAnchors;
  /** Roots receipts must chain to; absent when receipts are not checked. */
  receiptAnchors?: TrustAnchors;
  maxChainLength: number;
}

export interface AppleAttestationInput {
  /** The attestation object (CBOR) as the app sent it. */
  attestation: Uint8Array;
  /** The exact bytes the app hashed into clientDataHash. */
  clientData: Uint8Array;
  /** The key id the app reports (SHA-256 of the key point); checked when given. */
  keyId?: Uint8Array;
  /** Verification time, epoch ms. */
  at: number;
}

/** What an App Attest result carries in `facts` (a type alias, so it fits the result's record type). */
export type AppleAttestationFacts = {
  /** base64 SHA-256 of the attested key point: how the app names the key in later assertions. */
  keyId: string;
  environment: AppAttestEnvironment;
  aaguid: string;
  osVersion?: string;
  build?: string;
  /** Every field of the OS extension, by tag. */
  osFields?: Record<string, string | number>;
  credentialCertificate: { notBefore: string; notAfter: string };
  authenticatorData: { flags: number; ignoredTrailingBytes: number; extensions?: unknown };
  receiptChecked: boolean;
  /** Decoded and verified receipt; absent when receipts are not checked. */
  receipt?: ReceiptFacts;
  /** The receipt as received (base64), to store for refreshing the risk metric with Apple later. */
  receiptBase64?: string;
};

export interface ReceiptFacts {
  type: string;
  appId: string;
  creationTime: string;
  notBefore?: string;
  expirationTime?: string;
  riskMetric?: number;
  token?: string;
  clientHash?: string;
  signer: string;
  anchor: string;
}

export type AppleAttestationResult = AttestationResult & { facts: AppleAttestationFacts };

/**
 * Apple App Attest attestation (docs/protocols/apple-app-attest.md), in order: decode → 1 credCert chain to a trusted
 * root → 2 nonce = SHA256(authData ‖ SHA256(clientData)) in credCert → 3 keyId → 4 authData:
 * rpIdHash against the app ids, counter 0, aaguid against the environment, credentialId = keyId,
 * COSE key = credCert key → 5 OS version → 6 receipt → the normalized result.
 */
export class AppleVerifier {
  constructor(readonly options: AppleVerifierOptions) {}

  verify(input: AppleAttestationInput): AppleAttestationResult {
    const { options } = this;
    const object = decodeAttestationObject(input.attestation);

    const { credential, anchor } = verifyCredentialChain(object.x5c, {
      anchors: options.anchors,
      at: input.at,
      maxChainLength: options.maxChainLength,
    });

    const clientDataHash = sha256(input.clientData);
    const nonce = sha256(Buffer.concat([object.authData, clientDataHash]));
    if (!nonce.equals(readNonce(credential))) {
      throw contentError('NONCE_MISMATCH', 'The attestation was not made for this client data.', {
        detail: 'SHA256(authData ‖ SHA256(clientData)) differs from the credCert nonce',
      });
    }

    const keyId = sha256(credential.point);
    if (input.keyId && !keyId.equals(input.keyId)) {
      throw contentError('KEY_ID_MISMATCH', 'The attested key is not the key the app named.', {
        detail: `attested key id ${keyId.toString('base64')}, reported ${asBuffer(input.keyId).toString('base64')}`,
      });
    }

    const authData = parseAttestedAuthenticatorData(object.authData, ATTESTATION_MALFORMED);
    const appId = options.appIds.match(authData.rpIdHash);
    if (!appId) {
      throw trustError('APP_ID_MISMATCH', 'The attestation was made for another app.', {
        detail: `rpIdHash ${asBuffer(authData.rpIdHash).toString('hex')} matches none of ${options.appIds.list.join(', ')}`,
      });
    }
    if (authData.counter !== 0) {
      throw contentError('COUNTER_NOT_ZERO', 'The attestation counter is not zero.', {
        detail: `signCount ${authData.counter}`,
      });
    }
    const environment = environmentOf(authData.aaguid);
    if (!environment) {
      throw contentError('AAGUID_UNKNOWN', 'The attestation names no App Attest environment.', {
        detail: `aaguid ${asBuffer(authData.aaguid).toString('hex')}`,
      });
    }
    if (options.environment !== 'any' && environment !== options.environment) {
      throw trustError(
        'ENVIRONMENT_NOT_ALLOWED',
        `Attestations from the ${environment} environment are not accepted.`,
        {
          detail: `configured environment ${options.environment}`,
        },
      );
    }
    if (!keyId.equals(authData.credentialId)) {
      throw contentError('CREDENTIAL_ID_MISMATCH', 'The credential id is not the key id.', {
        detail: `credentialId ${asBuffer(authData.credentialId).toString('base64')}, key id ${keyId.toString('base64')}`,
      });
    }
    if (!coseKeyIsPoint(authData.credentialPublicKey, credential.point, ATTESTATION_MALFORMED)) {
      throw contentError('CREDENTIAL_KEY_MISMATCH', 'The credential public key is not the attested key.');
    }

    const os = readOsInfo(credential);

    const facts: AppleAttestationFacts = {
      keyId: keyId.toString('base64'),
      environment,
      aaguid: asBuffer(authData.aaguid).toString('hex'),
      credentialCertificate: {
        notBefore: new Date(credential.certificate.notBefore).toISOString(),
        notAfter: new Date(credential.certificate.notAfter).toISOString(),
      },
      authenticatorData: { flags: authData.flags, ignoredTrailingBytes: authData.ignoredTrailingBytes },
      receiptChecked: options.receiptAnchors !== undefined,
    };
    if (authData.extensions !== undefined) facts.authenticatorData.extensions = authData.extensions;
    if (os?.osVersion) facts.osVersion = os.osVersion;
    if (os?.build) facts.build = os.build;
    if (os) facts.osFields = os.fields;
    if (object.receipt) facts.receiptBase64 = asBuffer(object.receipt).toString('base64');
    if (options.receiptAnchors) {
      const receipt = checkReceipt(object.receipt, credential, { appId, clientDataHash, at: input.at, options });
      facts.receipt = receiptFacts(receipt);
    }

    const result: AppleAttestationResult = {
      platform: 'apple',
      publicKey: describeKey(credential.certificate),
      securityLevel: 'secure-enclave',
      app: { ids: [appId], signerDigests: [] },
      counter: 0,
      anchor: anchor.name,
      facts,
    };
    if (os?.osVersion) result.osVersion = os.osVersion;
    return result;
  }
}

/** Step 6: the receipt verifies to a receipt root and was issued for this very attestation (it is not covered by the nonce). */
function checkReceipt(
  bytes: Uint8Array | undefined,
  credential: CredentialCertificate,
  context: { appId: string; clientDataHash: Buffer; at: number; options: AppleVerifierOptions },
): AppAttestReceipt {
  if (!bytes) throw contentError('RECEIPT_MALFORMED', 'The attestation carries no receipt.');
  const receipt = verifyAppAttestReceipt(bytes, {
    anchors: context.options.receiptAnchors!,
    at: context.at,
    maxChainLength: context.options.maxChainLength,
  });
  const mismatch =
    receipt.type !== 'ATTEST'
      ? `receipt type ${receipt.type}`
      : receipt.appId !== context.appId
        ? `receipt app id ${receipt.appId}`
        : !sameBytes(receipt.attestedCertificate, credential.certificate.der)
          ? 'receipt names another credential certificate'
          : receipt.clientHash && !context.clientDataHash.equals(receipt.clientHash)
            ? 'receipt client hash differs'
            : undefined;
  if (mismatch)
    throw contentError('RECEIPT_MISMATCH', 'The receipt does not belong to this attestation.', { detail: mismatch });
  return receipt;
}

function receiptFacts(receipt: AppAttestReceipt): ReceiptFacts {
  const iso = (time: number) => new Date(time).toISOString();
  const facts: ReceiptFacts = {
    type: receipt.type,
    appId: receipt.appId,
    creationTime: iso(receipt.creationTime),
    signer: receipt.signer,
    anchor: receipt.anchor,
  };
  if (receipt.notBefore !== undefined) facts.notBefore = iso(receipt.notBefore);
  if (receipt.expirationTime !== undefined) facts.expirationTime = iso(receipt.expirationTime);
  if (receipt.riskMetric !== undefined) facts.riskMetric = receipt.riskMetric;
  if (receipt.token !== undefined) facts.token = receipt.token;
  if (receipt.clientHash) facts.clientHash = asBuffer(receipt.clientHash).toString('base64');
  return facts;
}
