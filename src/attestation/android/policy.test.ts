import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { TrustAnchors } from '../../crypto/x509/chain.js';
import * as der from '../../crypto/asn1/der-writer.js';
import { AndroidDeviceSimulator } from '../../simulator/android/device.js';
import { SIMULATED_SIGNER_DIGEST, type SimulatedRecord } from '../../simulator/android/key-description-encoder.js';
import { KEY_PURPOSE } from './constants.js';
import { androidVerifier } from '../../../test/helpers/android.js';
import { asyncOutcome, asyncRejection } from '../../../test/helpers/outcome.js';

const AT = Date.UTC(2026, 10, 15);
const challenge = Buffer.from('policy-test-challenge');
const GRAPHENE_KEY = createHash('sha256').update('an alternative OS signing key').digest();

/** A factory-provisioned device under a generated root, shared by the tests that need no root of their own. */
let factory: AndroidDeviceSimulator;
beforeAll(async () => {
  factory = await AndroidDeviceSimulator.create({ root: 'generated', at: AT });
});

describe('Android device and app policy (simulated devices)', () => {
  let rkp: AndroidDeviceSimulator;
  let anchors: ReturnType<typeof TrustAnchors.fromPem>;

  beforeAll(async () => {
    rkp = await AndroidDeviceSimulator.create({ root: 'generated', rkp: true, at: AT });
    anchors = [
      ...TrustAnchors.fromPem(factory.rootPem, 'factory test root'),
      ...TrustAnchors.fromPem(rkp.rootPem, 'rkp test root'),
    ];
  });

  const verify = async (record: Partial<SimulatedRecord>, policy: object = {}, device = factory) => {
    const attestation = await device.attest({ challenge, ...record }, { at: AT });
    return androidVerifier({ policy }, anchors).verify({ chain: attestation.chain, challenge, at: AT });
  };

  it('trusts roots from configured PEM files (android.extraRootFiles) and refuses a file without certificates', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'keyward-roots-'));
    try {
      const rootFile = join(dir, 'root.pem');
      writeFileSync(rootFile, factory.rootPem);
      const attestation = await factory.attest({ challenge, osVersion: 150000, osPatchLevel: 202611 }, { at: AT });
      const input = { chain: attestation.chain, challenge, at: AT };
      expect((await androidVerifier({ extraRootFiles: [rootFile] }).verify(input)).anchor).toMatch(
        /^configured root \(.*root\.pem\)/,
      );
      expect(await asyncOutcome(androidVerifier().verify(input))).toBe('TRUST UNTRUSTED_ROOT');
      const empty = join(dir, 'empty.pem');
      writeFileSync(empty, 'no certificates here\n');
      expect(() => androidVerifier({ extraRootFiles: [empty] })).toThrow(
        /^invalid configuration: android\.extraRootFiles: .*empty\.pem holds no PEM certificate$/,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('accepts a healthy simulated device with the documented defaults and reports its facts', async () => {
    const result = await verify({
      osVersion: 150000,
      osPatchLevel: 202611,
      packageName: 'com.example.wallet',
      packageVersion: 42,
    });
    expect(result).toMatchObject({
      platform: 'android',
      securityLevel: 'trusted-environment',
      osVersion: '15.0.0',
      osPatchLevel: '2026-11',
      bootState: { locked: true, state: 'verified' },
      app: { ids: ['com.example.wallet'], signerDigests: [SIMULATED_SIGNER_DIGEST.toString('hex')], version: 42 },
      publicKey: { algorithm: 'EC', curve: 'P-256', supported: true, jwk: { kty: 'EC', crv: 'P-256' } },
    });
    expect(result.facts.rkp).toBe(false);
  });

  it('requires StrongBox when configured', async () => {
    expect(await asyncOutcome(verify({}, { requireStrongBox: true }))).toBe('TRUST STRONGBOX_REQUIRED');
    expect((await verify({ securityLevel: 'STRONG_BOX' }, { requireStrongBox: true })).securityLevel).toBe('strongbox');
  });

  it('rejects software security levels even under a hardware root', async () => {
    expect(await asyncOutcome(verify({ securityLevel: 'SOFTWARE' }))).toBe('TRUST SOFTWARE_SECURITY_LEVEL');
  });

  it('admits SelfSigned boot only with an allow-listed boot key (the GrapheneOS way)', async () => {
    const selfSigned = { verifiedBootState: 'SELF_SIGNED' as const, verifiedBootKey: GRAPHENE_KEY };
    expect(await asyncOutcome(verify(selfSigned))).toBe('TRUST BOOT_KEY_NOT_ALLOWED');
    const result = await verify(selfSigned, { allowedSelfSignedBootKeys: [GRAPHENE_KEY.toString('hex')] });
    expect(result.bootState).toMatchObject({ state: 'self-signed', verifiedBootKey: GRAPHENE_KEY.toString('hex') });
    expect(await asyncOutcome(verify({ verifiedBootState: 'UNVERIFIED' }))).toBe('TRUST BOOT_STATE_NOT_VERIFIED');
    expect(await asyncOutcome(verify({ deviceLocked: false }))).toBe('TRUST BOOTLOADER_UNLOCKED');
    expect(
      (await verify({ deviceLocked: false, verifiedBootState: 'UNVERIFIED' }, { requireLockedBootloader: false }))
        .bootState?.locked,
    ).toBe(false);
  });

  it('enforces minimum OS version and patch level, patch age, and patch levels in the future', async () => {
    expect(await asyncOutcome(verify({ osVersion: 130000 }, { minOsVersion: 140000 }))).toBe(
      'TRUST OS_VERSION_TOO_OLD',
    );
    expect(await asyncOutcome(verify({ osPatchLevel: 202501 }, { minPatchLevel: '2025-06' }))).toBe(
      'TRUST PATCH_LEVEL_TOO_OLD',
    );
    expect((await verify({ osPatchLevel: 202511 }, { maxPatchAgeMonths: 12 })).osPatchLevel).toBe('2025-11');
    expect(await asyncOutcome(verify({ osPatchLevel: 202410 }, { maxPatchAgeMonths: 12 }))).toBe(
      'TRUST PATCH_LEVEL_TOO_OLD',
    );
    expect(await asyncOutcome(verify({ osPatchLevel: 202701 }))).toBe('TRUST PATCH_LEVEL_IN_FUTURE');
    expect((await verify({ osPatchLevel: 202612 })).osPatchLevel).toBe('2026-12');
  });

  it('requires RKP when configured, decided by the pinned Droid CA2 key, not by names', async () => {
    expect(await asyncOutcome(verify({}, { requireRkp: true }))).toBe('TRUST RKP_REQUIRED');
    const attestation = await rkp.attest({ challenge }, { at: AT });
    const input = { chain: attestation.chain, challenge, at: AT };
    expect(
      (await androidVerifier({ policy: { requireRkp: true }, rkpKeys: [rkp.rkpKey!] }, anchors).verify(input)).facts
        .rkp,
    ).toBe(true);
    // The same chain, named "Droid CA2"/"Droid CA3" throughout, is not RKP when its CA key is not pinned.
    expect(await asyncOutcome(androidVerifier({ policy: { requireRkp: true } }, anchors).verify(input))).toBe(
      'TRUST RKP_REQUIRED',
    );
  });

  it('checks statement freshness from creationDateTime when configured', async () => {
    expect(await asyncOutcome(verify({ creationDateTime: AT - 600_000 }, { maxStatementAgeSeconds: 300 }))).toBe(
      'TIME STATEMENT_TOO_OLD',
    );
    expect((await verify({ creationDateTime: AT - 60_000 }, { maxStatementAgeSeconds: 300 })).createdAt).toBe(
      AT - 60_000,
    );
  });

  it('requires keys generated on the device', async () => {
    expect(await asyncOutcome(verify({ origin: 2 }))).toBe('TRUST KEY_NOT_GENERATED');
    expect((await verify({ origin: 2 }, { requireGeneratedKey: false })).platform).toBe('android');
  });

  it('checks package, signer and minimum version per configured app', async () => {
    const apps = [
      { packageName: 'com.example.wallet', signerDigests: [SIMULATED_SIGNER_DIGEST.toString('hex')], minVersion: 10 },
    ];
    expect((await verify({ packageVersion: 10 }, { apps })).app.version).toBe(10);
    expect(await asyncOutcome(verify({ packageVersion: 9 }, { apps }))).toBe('TRUST APP_VERSION_TOO_OLD');
    expect(await asyncOutcome(verify({ packageName: 'com.evil.wallet', packageVersion: 10 }, { apps }))).toBe(
      'TRUST PACKAGE_NOT_ALLOWED',
    );
    expect(await asyncOutcome(verify({ packageVersion: 10, signerDigests: [Buffer.alloc(32, 1)] }, { apps }))).toBe(
      'TRUST SIGNER_NOT_ALLOWED',
    );
  });

  it('decodes identityCredentialKey (tag 721) from a simulated record', async () => {
    const result = await verify({ extraHardwareTags: { 721: der.nullValue() } });
    expect((result.facts.keyDescription as any).hardwareEnforced.identityCredentialKey).toBe(true);
  });

  it('accepts RSA leaf keys', async () => {
    const attestation = await factory.attest({ challenge }, { key: 'RSA-2048', at: AT });
    const result = await androidVerifier({}, anchors).verify({ chain: attestation.chain, challenge, at: AT });
    expect(result.publicKey).toMatchObject({ algorithm: 'RSA', jwk: { kty: 'RSA' } });
  });

  it('trusts the simulator only where its root is configured', async () => {
    const attestation = await factory.attest({ challenge }, { at: AT });
    await expect(androidVerifier().verify({ chain: attestation.chain, challenge, at: AT })).rejects.toMatchObject({
      code: 'UNTRUSTED_ROOT',
    });
  });
});

describe('attest-key chains (several attestation records)', () => {
  it('takes the key facts from the leaf and checks the device state of every record', async () => {
    const anchors = TrustAnchors.fromPem(factory.rootPem, 'test root');
    const verifier = androidVerifier({}, anchors);
    const good = await factory.attest(
      { challenge, packageName: 'com.example.leaf' },
      { at: AT, attestKey: { challenge: Buffer.from('attest key'), packageName: 'com.example.leaf' } },
    );
    const result = await verifier.verify({ chain: good.chain, challenge, at: AT });
    expect(result.app.ids).toEqual(['com.example.leaf']);
    expect((result.facts.attestKeyRecords as any[])[0].certificate).toBe(1);

    const unlockedAttestKey = await factory.attest(
      { challenge },
      { at: AT, attestKey: { challenge: Buffer.from('attest key'), deviceLocked: false } },
    );
    await expect(verifier.verify({ chain: unlockedAttestKey.chain, challenge, at: AT })).rejects.toMatchObject({
      code: 'BOOTLOADER_UNLOCKED',
    });
    // The attest key's own challenge is not the request's.
    await expect(
      verifier.verify({ chain: good.chain, challenge: Buffer.from('attest key'), at: AT }),
    ).rejects.toMatchObject({ code: 'CHALLENGE_MISMATCH' });
  });

  it('refuses a leaf certified by an app key that is not an attestation key (a forged leaf signed with a signing key)', async () => {
    const verifier = androidVerifier({}, TrustAnchors.fromPem(factory.rootPem, 'test root'));
    for (const purposes of [[KEY_PURPOSE.SIGN], [KEY_PURPOSE.ATTEST_KEY, KEY_PURPOSE.SIGN], []]) {
      const forged = await factory.attest(
        { challenge, packageName: 'com.example.leaf' },
        { at: AT, attestKey: { challenge: Buffer.from('signing key'), purposes } },
      );
      const error = await asyncRejection(() => verifier.verify({ chain: forged.chain, challenge, at: AT }));
      expect(error).toMatchObject({
        category: 'TRUST',
        code: 'NOT_AN_ATTEST_KEY',
        detail: `certificate 1 carries an attestation record with purposes ${JSON.stringify([...purposes].sort((a, b) => a - b))}`,
      }); // a DER SET OF is sorted
    }
  });
});
