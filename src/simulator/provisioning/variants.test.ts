import { beforeAll, describe, expect, it } from 'vitest';
import { issuerWorld, type IssuerWorld, MDL } from './contract/fixtures.js';
import type { InProcessIssuer } from './contract/in-process-issuer.js';
import { SimulatedIdentityCredentialHolder } from './holder.js';
import type { HolderVariants } from './variants.js';

const AT = Date.now();

let world: IssuerWorld;
beforeAll(async () => {
  world = await issuerWorld(AT);
});

/** An honest holder with a provisioned (and, with `certified`, certified) credential, and its issuer. */
async function provisioned(certified = false) {
  const issuer = world.issuer();
  const holder = await SimulatedIdentityCredentialHolder.create({ device: world.device });
  const exchange = (request: Uint8Array) => issuer.handle(request);
  expect((await holder.converse(holder.startProvisioning('1001'), exchange)).reason).toBe('Success');
  if (certified) expect((await holder.converse(holder.certifyAuthKeys(MDL), exchange)).reason).toBe('Success');
  return { issuer, holder, exchange };
}

/** The flow ends Failed, with `code` the issuer's only refusal. */
async function refused(issuer: InProcessIssuer, holder: SimulatedIdentityCredentialHolder, first: Uint8Array) {
  const end = await holder.converse(first, (request) => issuer.handle(request));
  expect(end.reason).toBe('Failed');
  expect(issuer.refusals).toHaveLength(1);
  return issuer.refusals[0];
}

describe('simulated holder variants, each refused with its code', () => {
  it.each<[string, HolderVariants, string]>([
    [
      'wrong attestation challenge',
      { attestationChallenge: 'wrong' },
      'PROVISIONING_CREDENTIAL_KEY_CHALLENGE_MISMATCH',
    ],
    ['CredentialKey without tag 721', { identityCredentialKey: false }, 'PROVISIONING_NOT_IDENTITY_CREDENTIAL_KEY'],
    [
      'ProofOfProvisioning over different data',
      { proofOfProvisioningData: 'different' },
      'PROVISIONING_PROOF_DATA_MISMATCH',
    ],
    [
      'ProofOfProvisioning by a foreign key',
      { credentialKey: 'foreign-signing' },
      'PROVISIONING_PROOF_SIGNATURE_INVALID',
    ],
    ['a test credential', { testCredential: true }, 'PROVISIONING_TEST_CREDENTIAL'],
  ])('provisioning: %s', async (_name, variants, code) => {
    const issuer = world.issuer();
    const holder = await SimulatedIdentityCredentialHolder.create({ device: world.device, variants });
    expect(await refused(issuer, holder, holder.startProvisioning('1001'))).toBe(code);
    expect(holder.credentials.size).toBe(0);
    expect(issuer.records.size).toBe(0);
  });

  it('accepts a CredentialKey without tag 721 when the issuer is configured not to require it', async () => {
    const issuer = world.issuer({ requireIdentityCredentialKey: false });
    const holder = await SimulatedIdentityCredentialHolder.create({
      device: world.device,
      variants: { identityCredentialKey: false },
    });
    expect((await holder.converse(holder.startProvisioning('1001'), (r) => issuer.handle(r))).reason).toBe('Success');
  });

  it.each<[string, HolderVariants, string]>([
    ['wrong ProofOfOwnership challenge', { proofChallenge: 'wrong' }, 'PROVISIONING_PROOF_CHALLENGE_MISMATCH'],
    ['foreign CredentialKey announced', { credentialKey: 'foreign-announced' }, 'UNKNOWN_CREDENTIAL'],
    ['proofs by a foreign key', { credentialKey: 'foreign-signing' }, 'PROVISIONING_PROOF_SIGNATURE_INVALID'],
    [
      'auth-key certificate without ProofOfBinding',
      { proofOfBinding: 'none' },
      'PROVISIONING_PROOF_OF_BINDING_MISSING',
    ],
    ['ProofOfBinding with a wrong hash', { proofOfBinding: 'wrong-hash' }, 'PROVISIONING_PROOF_OF_BINDING_MISMATCH'],
  ])('certify: %s', async (_name, variants, code) => {
    const { issuer, holder } = await provisioned();
    holder.variants = variants;
    expect(await refused(issuer, holder, holder.certifyAuthKeys(MDL))).toBe(code);
    expect(holder.credential(MDL).authKeys).toEqual([]);
  });

  it.each<[string, HolderVariants, string]>([
    ['wrong ProofOfOwnership challenge', { proofChallenge: 'wrong' }, 'PROVISIONING_PROOF_CHALLENGE_MISMATCH'],
    ['foreign CredentialKey announced', { credentialKey: 'foreign-announced' }, 'UNKNOWN_CREDENTIAL'],
    ['proofs by a foreign key', { credentialKey: 'foreign-signing' }, 'PROVISIONING_PROOF_SIGNATURE_INVALID'],
  ])('update: %s', async (_name, variants, code) => {
    const { issuer, holder } = await provisioned();
    holder.variants = variants;
    expect(await refused(issuer, holder, holder.updateCredential(MDL))).toBe(code);
  });

  it('update: ProofOfProvisioning of the update over different data', async () => {
    const { issuer, holder } = await provisioned();
    const record = issuer.recordOf(holder.credential(MDL).credentialKey.publicKey)!;
    record.updateResult = 'update';
    const before = holder.credential(MDL).proofOfProvisioning;
    holder.variants = { proofOfProvisioningData: 'different' };
    expect(await refused(issuer, holder, holder.updateCredential(MDL))).toBe('PROVISIONING_PROOF_DATA_MISMATCH');
    expect(holder.credential(MDL).proofOfProvisioning).toBe(before);
  });

  it.each<[string, HolderVariants, string]>([
    ['wrong ProofOfOwnership challenge', { proofChallenge: 'wrong' }, 'PROVISIONING_PROOF_CHALLENGE_MISMATCH'],
    ['wrong ProofOfDeletion challenge', { deletionChallenge: 'wrong' }, 'PROVISIONING_PROOF_CHALLENGE_MISMATCH'],
    ['foreign CredentialKey announced', { credentialKey: 'foreign-announced' }, 'UNKNOWN_CREDENTIAL'],
    ['proofs by a foreign key', { credentialKey: 'foreign-signing' }, 'PROVISIONING_PROOF_SIGNATURE_INVALID'],
  ])('delete: %s', async (_name, variants, code) => {
    const { issuer, holder } = await provisioned(true);
    holder.variants = variants;
    expect(await refused(issuer, holder, holder.deleteCredential(MDL))).toBe(code);
    expect(holder.credentials.has(MDL)).toBe(true);
    expect(issuer.records.size).toBe(1);
  });
});
