import type { KeyObject } from 'node:crypto';
import type { ProvisionedData } from './proof-signatures.js';

/** One auth key of a credential: its pair, its certificate, and once certified its StaticAuthData. */
export interface SimulatedAuthKey {
  privateKey: KeyObject;
  publicKey: KeyObject;
  /** The certificate sent in CertifyAuthKeysSendCerts (DER). */
  certificate: Uint8Array;
  /** From CertifyAuthKeysResponse, in the order of the certificates. */
  staticAuthData?: Uint8Array;
}

/** A credential the simulated holder keeps, one per docType, as the Identity Credential store does. */
export interface SimulatedCredential {
  docType: string;
  /** The CredentialKey (P-256), created in the simulated TEE for the ProvisioningResponse challenge. */
  credentialKey: { privateKey: KeyObject; publicKey: KeyObject; chain: Uint8Array[] };
  /** The data provisioned (or last updated). */
  data: ProvisionedData;
  /** The exact ProofOfProvisioning payload signed: what ProofOfBinding hashes. */
  proofOfProvisioning: Uint8Array;
  /** The signed ProofOfProvisioning COSE_Sign1. */
  proofOfProvisioningSignature: Uint8Array;
  authKeys: SimulatedAuthKey[];
}

/** namespace → element identifier → value, from the provisioned data. */
export function heldValues(credential: SimulatedCredential): Map<string, Map<string, unknown>> {
  return new Map(
    [...credential.data.nameSpaces].map(([nameSpace, entries]) => [
      nameSpace,
      new Map(entries.map((entry) => [entry.get('name') as string, entry.get('value')])),
    ]),
  );
}
