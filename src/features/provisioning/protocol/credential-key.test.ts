import { randomBytes } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { androidVerifier } from '../../../../test/helpers/android.js';
import { asyncOutcome } from '../../../../test/helpers/outcome.js';
import type { AndroidVerifier } from '../../../attestation/android/verify.js';
import { coseKeyToPublicKey } from '../../../crypto/cose/cose-key.js';
import { nullValue } from '../../../crypto/asn1/der-writer.js';
import { spkiOf } from '../../../crypto/keys.js';
import { TrustAnchors } from '../../../crypto/x509/chain.js';
import { AndroidDeviceSimulator } from '../../../simulator/android/device.js';
import type { SimulatedRecord } from '../../../simulator/android/key-description-encoder.js';
import { credentialKeyFingerprint, verifyCredentialKey } from './credential-key.js';

const AT = Date.UTC(2026, 11, 3);

let device: AndroidDeviceSimulator;
let verifier: AndroidVerifier;
beforeAll(async () => {
  device = await AndroidDeviceSimulator.create({ root: 'generated', at: AT });
  verifier = androidVerifier({}, TrustAnchors.fromPem(device.rootPem, 'simulated android root'));
});

/** A CredentialKey chain from the simulated device, made for `challenge`. */
const credentialKeyChain = (challenge: Uint8Array, record: Partial<SimulatedRecord> = {}, key?: 'RSA-2048') =>
  device.attest({ challenge, identityCredentialKey: true, ...record }, { at: AT, ...(key ? { key } : {}) });

describe('CredentialKey attestation', () => {
  it('accepts a chain made for the session challenge with identityCredentialKey, returning the key', async () => {
    const challenge = randomBytes(32);
    const attestation = await credentialKeyChain(challenge);
    const verified = await verifyCredentialKey(verifier, { chain: attestation.chain, challenge, at: AT });
    expect(verified.identityCredentialKey).toBe(true);
    expect(spkiOf(verified.publicKey).equals(spkiOf(attestation.publicKey))).toBe(true);
    expect(spkiOf(coseKeyToPublicKey(verified.coseKey)).equals(spkiOf(attestation.publicKey))).toBe(true);
    expect(verified.fingerprint).toBe(credentialKeyFingerprint(attestation.publicKey));
    expect(verified.attestation.platform).toBe('android');
  });

  it('reads tag 721 however the simulator was asked to write it', async () => {
    const challenge = randomBytes(32);
    const attestation = await credentialKeyChain(challenge, {
      identityCredentialKey: false,
      extraHardwareTags: { 721: nullValue() },
    });
    expect(await asyncOutcome(verifyCredentialKey(verifier, { chain: attestation.chain, challenge, at: AT }))).toBe(
      'accepted',
    );
  });

  it('refuses a key without identityCredentialKey by default, accepts it when configured off', async () => {
    const challenge = randomBytes(32);
    const { chain } = await credentialKeyChain(challenge, { identityCredentialKey: false });
    expect(await asyncOutcome(verifyCredentialKey(verifier, { chain, challenge, at: AT }))).toBe(
      'TRUST PROVISIONING_NOT_IDENTITY_CREDENTIAL_KEY',
    );
    const verified = await verifyCredentialKey(verifier, {
      chain,
      challenge,
      at: AT,
      requireIdentityCredentialKey: false,
    });
    expect(verified.identityCredentialKey).toBe(false);
  });

  it('refuses a chain made for another challenge', async () => {
    const { chain } = await credentialKeyChain(randomBytes(32));
    expect(await asyncOutcome(verifyCredentialKey(verifier, { chain, challenge: randomBytes(32), at: AT }))).toBe(
      'CONTENT PROVISIONING_CREDENTIAL_KEY_CHALLENGE_MISMATCH',
    );
  });

  it('refuses a chain to an untrusted root', async () => {
    const stranger = await AndroidDeviceSimulator.create({ root: 'generated', at: AT });
    const challenge = randomBytes(32);
    const { chain } = await stranger.attest({ challenge, identityCredentialKey: true }, { at: AT });
    expect(await asyncOutcome(verifyCredentialKey(verifier, { chain, challenge, at: AT }))).toBe(
      'TRUST UNTRUSTED_ROOT',
    );
  });

  it('applies the provisioning device policy', async () => {
    const challenge = randomBytes(32);
    const { chain } = await credentialKeyChain(challenge);
    const policy = { ...verifier.options.policy, requireStrongBox: true };
    expect(await asyncOutcome(verifyCredentialKey(verifier, { chain, challenge, at: AT, policy }))).toBe(
      'TRUST STRONGBOX_REQUIRED',
    );
  });

  it('refuses a CredentialKey that is not EC P-256', async () => {
    const challenge = randomBytes(32);
    const { chain } = await credentialKeyChain(challenge, {}, 'RSA-2048');
    expect(await asyncOutcome(verifyCredentialKey(verifier, { chain, challenge, at: AT }))).toBe(
      'CONTENT PROVISIONING_CREDENTIAL_KEY_UNSUPPORTED',
    );
  });
});
