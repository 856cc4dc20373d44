import { describe, expect, it } from 'vitest';
import { parseCertificate } from '../../crypto/x509/certificate.js';
import { TrustAnchors, verifyChain } from '../../crypto/x509/chain.js';
import { KeywardError } from '../../errors.js';
import { androidVerifier } from '../../../test/helpers/android.js';
import { asyncOutcome } from '../../../test/helpers/outcome.js';
import { androidChain, androidVectors } from '../../../test/helpers/vectors.js';
import { KEY_DESCRIPTION_OID } from './constants.js';
import { challengeBytes, parseKeyDescription } from './key-description.js';
import type { AndroidVerifier } from './verify.js';

/**
 * The captured devices are Google's test phones: unlocked, unverified boot, and running
 * pre-release builds whose patch level is months ahead of the key's creation. Device state is
 * tested separately.
 */
const forTestDevices = { policy: { requireLockedBootloader: false, maxPatchMonthsAhead: 12 } };

async function outcome(verifier: AndroidVerifier, input: Parameters<AndroidVerifier['verify']>[0]) {
  try {
    return { ok: true as const, result: await verifier.verify(input) };
  } catch (error) {
    if (!(error instanceof KeywardError)) throw error;
    return { ok: false as const, category: error.category, code: error.code, message: error.message };
  }
}

const osVersionText = (value: string) => {
  const n = Number(value);
  return `${Math.floor(n / 10000)}.${Math.floor(n / 100) % 100}.${n % 100}`;
};

describe('Android vectors verified at their creation time with their own challenge', () => {
  const verifier = androidVerifier(forTestDevices);
  const hardware = androidVectors().filter(
    (vector) => !vector.name.startsWith('marlin/') && !vector.name.startsWith('sony-'),
  );

  for (const vector of hardware) {
    it(`accepts ${vector.name}`, async () => {
      const { result } = (await outcome(verifier, {
        chain: vector.chain,
        challenge: vector.challenge,
        at: vector.createdAt,
      })) as any;
      expect(result, vector.name).toBeDefined();
      const hw = vector.decoded.hardwareEnforced;
      expect(result.platform).toBe('android');
      expect(result.anchor).toMatch(/^Google hardware attestation root/);
      expect(result.securityLevel).toBe(
        vector.decoded.attestationSecurityLevel === 'STRONG_BOX' ? 'strongbox' : 'trusted-environment',
      );
      expect(result.osVersion).toBe(osVersionText(hw.osVersion));
      expect(result.osPatchLevel).toBe(`${hw.osPatchLevel.slice(0, 4)}-${hw.osPatchLevel.slice(4, 6)}`);
      expect(result.bootState.locked).toBe(hw.rootOfTrust.deviceLocked);
      expect(result.bootState.verifiedBootKey).toBe(
        Buffer.from(hw.rootOfTrust.verifiedBootKey, 'base64').toString('hex'),
      );
      const app = vector.decoded.softwareEnforced.attestationApplicationId;
      expect(result.app.ids).toEqual(app.packages.map((p: any) => p.name));
      expect(result.app.signerDigests).toEqual(
        app.signatures.map((s: string) => Buffer.from(s, 'base64').toString('hex')),
      );
      expect(result.createdAt).toBe(vector.createdAt);
      expect(result.publicKey.spki).toBe(Buffer.from(parseCertificate(vector.chain[0]!).spki).toString('base64'));
    });
  }

  it('anchors chains ending in the expired 2016 root certificate by its key (blueline)', async () => {
    const vector = hardware.find((v) => v.name === 'blueline/sdk28/TEE_EC_NONE')!;
    const root = parseCertificate(vector.chain.at(-1)!);
    expect(root.notAfter).toBe(Date.UTC(2026, 4, 24, 16, 28, 52));
    const late = await outcome(verifier, {
      chain: vector.chain,
      challenge: vector.challenge,
      at: Date.UTC(2026, 10, 1),
    });
    expect(late.ok ? 'accepted' : late.code).not.toBe('UNTRUSTED_ROOT');
  });

  it('recognises RKP chains and the EC root', async () => {
    const rkp = hardware.find((v) => v.name === 'caiman/sdk36/TEE_EC_RKP')!;
    const { result } = (await outcome(verifier, {
      chain: rkp.chain,
      challenge: rkp.challenge,
      at: rkp.createdAt,
    })) as any;
    expect(result.facts.rkp).toBe(true);
    const ecRoot = hardware.find((v) => v.name === 'tegu/sdk36/TEE_EC_2026_ROOT')!;
    const { result: ec } = (await outcome(verifier, {
      chain: ecRoot.chain,
      challenge: ecRoot.challenge,
      at: ecRoot.createdAt,
    })) as any;
    expect(ec.anchor).toContain('Key Attestation CA1');
  });

  it('verifies ML-DSA leaves and reports clearly that the key type is not usable here', async () => {
    const vector = hardware.find((v) => v.name === 'tokay/sdk37/TEE_MLDSA_RKP')!;
    const { result } = (await outcome(verifier, {
      chain: vector.chain,
      challenge: vector.challenge,
      at: vector.createdAt,
    })) as any;
    expect(result.publicKey).toMatchObject({ algorithm: 'ML-DSA-65', supported: false });
    expect(result.publicKey.jwk).toBeUndefined();
  });

  it('rejects an intermediate outside its validity just after the chain’s window, and just before it', async () => {
    const vector = hardware.find((v) => v.name === 'caiman/sdk36/TEE_EC_RKP')!;
    const device = parseCertificate(vector.chain[1]!);
    expect(
      await asyncOutcome(
        verifier.verify({ chain: vector.chain, challenge: vector.challenge, at: device.notAfter + 1000 }),
      ),
    ).toBe('TIME CERTIFICATE_EXPIRED');
    expect(
      await asyncOutcome(
        verifier.verify({ chain: vector.chain, challenge: vector.challenge, at: device.notBefore - 1000 }),
      ),
    ).toBe('TIME CERTIFICATE_NOT_YET_VALID');
    const lenient = androidVerifier({
      ...forTestDevices,
      enforceIntermediateValidity: false,
      enforceRkpValidity: false,
    });
    expect(
      (await outcome(lenient, { chain: vector.chain, challenge: vector.challenge, at: device.notAfter + 1000 })).ok,
    ).toBe(true);
  });
});

describe('chains that must not pass by default', () => {
  it('rejects the software-rooted marlin chains unless software attestation is allowed', async () => {
    for (const vector of androidVectors().filter((v) => v.name.startsWith('marlin/'))) {
      expect(
        await asyncOutcome(
          androidVerifier(forTestDevices).verify({
            chain: vector.chain,
            challenge: vector.challenge,
            at: vector.createdAt,
          }),
        ),
      ).toBe('TRUST SOFTWARE_ATTESTATION_ROOT');
      const allowed = await outcome(androidVerifier({ ...forTestDevices, allowSoftwareAttestation: true }), {
        chain: vector.chain,
        challenge: vector.challenge,
        at: vector.createdAt,
      });
      expect(allowed.ok && allowed.result.securityLevel).toBe('software');
      expect(allowed.ok && allowed.result.facts.softwareRoot).toBe(true);
    }
  });

  it('rejects the sony chain, created after its factory intermediates expired, unless intermediate validity is relaxed', async () => {
    const vector = androidVectors().find((v) => v.name === 'sony-xperia10-iii/sdk33/TEE_EC')!;
    expect(
      await asyncOutcome(
        androidVerifier(forTestDevices).verify({
          chain: vector.chain,
          challenge: vector.challenge,
          at: vector.createdAt,
        }),
      ),
    ).toBe('TIME CERTIFICATE_EXPIRED');
    const relaxed = await outcome(androidVerifier({ ...forTestDevices, enforceIntermediateValidity: false }), {
      chain: vector.chain,
      challenge: vector.challenge,
      at: vector.createdAt,
    });
    expect(relaxed.ok && relaxed.result.anchor).toMatch(/^Google hardware attestation root/);
  });

  it('accepts the legacy Google TEE chains and rejects the StrongBox ones as untrusted until their root is configured', async () => {
    const at = Date.UTC(2020, 0, 1);
    for (const name of ['algorithm_EC_SecurityLevel_TEE', 'algorithm_RSA_SecurityLevel_TEE']) {
      const chain = androidChain(`android/legacy-google/${name}.pem`);
      const challenge = challengeBytes(
        parseKeyDescription(parseCertificate(chain[0]!).extension(KEY_DESCRIPTION_OID)!.value),
      );
      const result = await outcome(androidVerifier(forTestDevices), { chain, challenge, at });
      expect(result.ok, name).toBe(true);
    }
    for (const name of ['algorithm_EC_SecurityLevel_StrongBox', 'algorithm_RSA_SecurityLevel_StrongBox']) {
      const chain = androidChain(`android/legacy-google/${name}.pem`);
      const challenge = challengeBytes(
        parseKeyDescription(parseCertificate(chain[0]!).extension(KEY_DESCRIPTION_OID)!.value),
      );
      expect(await asyncOutcome(androidVerifier(forTestDevices).verify({ chain, challenge, at }))).toBe(
        'TRUST UNTRUSTED_ROOT',
      );
      const root = TrustAnchors.fromPem(parseCertificate(chain.at(-1)!).toPem(), 'legacy StrongBox root');
      const configured = await outcome(androidVerifier(forTestDevices, root), { chain, challenge, at });
      expect(configured.ok && configured.result.securityLevel).toBe('strongbox');
    }
  });

  it('handles the invalid/ records as decided: the BER boolean verifies (strict rejects); the re-ordered record was edited after signing', async () => {
    const malformed = androidChain('android/keyattestation/testdata/invalid/malformed_rot_device_locked.pem');
    const record = parseKeyDescription(parseCertificate(malformed[0]!).extension(KEY_DESCRIPTION_OID)!.value);
    const input = {
      chain: malformed,
      challenge: challengeBytes(record),
      at: record.softwareEnforced.creationDateTime!,
    };
    const accepted = await outcome(androidVerifier(), input);
    expect(accepted.ok && accepted.result.facts.keyDescription).toMatchObject({ quirks: ['non-der-boolean'] });
    expect(await asyncOutcome(androidVerifier({ strictEncoding: true }).verify(input))).toBe(
      'CONTENT KEY_DESCRIPTION_NOT_STRICT_DER',
    );

    const reordered = androidChain('android/keyattestation/testdata/invalid/tags_not_in_ascending_order.pem');
    const reorderedRecord = parseKeyDescription(parseCertificate(reordered[0]!).extension(KEY_DESCRIPTION_OID)!.value);
    const reorderedInput = {
      chain: reordered,
      challenge: challengeBytes(reorderedRecord),
      at: reorderedRecord.softwareEnforced.creationDateTime!,
    };
    expect(await asyncOutcome(androidVerifier(forTestDevices).verify(reorderedInput))).toBe(
      'TRUST CERTIFICATE_SIGNATURE_INVALID',
    );
    expect(
      await asyncOutcome(androidVerifier({ ...forTestDevices, strictEncoding: true }).verify(reorderedInput)),
    ).toBe('CONTENT KEY_DESCRIPTION_NOT_STRICT_DER');
  });

  it('verifies the P-256 intermediate that signs with SHA-384 against its own test root', async () => {
    const chain = androidChain('android/keyattestation/testdata/p256_sha384_intermediate.pem').map((der) =>
      parseCertificate(der),
    );
    const anchors = new TrustAnchors(TrustAnchors.fromPem(chain[2]!.toPem(), 'test root'));
    const verified = verifyChain(chain, { anchors, at: Date.UTC(2025, 0, 1), maxLength: 4, checkValidity: () => true });
    expect(verified.anchor.name).toContain('Test Root');
    expect(chain[0]!.signatureAlgorithm).toBe('1.2.840.10045.4.3.3');
  });
});

describe('each kind of rejection has its own code', () => {
  const akita = () => androidVectors().find((v) => v.name === 'akita/sdk34/TEE_EC_NONE')!;

  it('wrong challenge', async () => {
    const vector = akita();
    expect(
      await asyncOutcome(
        androidVerifier(forTestDevices).verify({
          chain: vector.chain,
          challenge: Buffer.from('challengf'),
          at: vector.createdAt,
        }),
      ),
    ).toBe('CONTENT CHALLENGE_MISMATCH');
  });

  it('wrong package, wrong signer digest and too old an app version', async () => {
    const vector = akita();
    const input = { chain: vector.chain, challenge: vector.challenge, at: vector.createdAt };
    const packageName = 'com.google.wireless.android.security.attestationverifier.collector';
    const signer = Buffer.from('EDk47kU35Z6O55L2VFBPuDRvxrNG0LvEQV/DOfz8jsE=', 'base64').toString('hex');
    const app = (overrides: object) =>
      androidVerifier({
        policy: {
          requireLockedBootloader: false,
          apps: [{ packageName, signerDigests: [signer], minVersion: 0, ...overrides }],
        },
      });
    expect((await outcome(app({}), input)).ok).toBe(true);
    expect(await asyncOutcome(app({ packageName: 'com.example.other' }).verify(input))).toBe(
      'TRUST PACKAGE_NOT_ALLOWED',
    );
    expect(await asyncOutcome(app({ signerDigests: ['00'.repeat(32)] }).verify(input))).toBe(
      'TRUST SIGNER_NOT_ALLOWED',
    );
    expect(await asyncOutcome(app({ minVersion: 1 }).verify(input))).toBe('TRUST APP_VERSION_TOO_OLD');
  });

  it('an unlocked bootloader', async () => {
    const vector = akita();
    expect(
      await asyncOutcome(
        androidVerifier().verify({ chain: vector.chain, challenge: vector.challenge, at: vector.createdAt }),
      ),
    ).toBe('TRUST BOOTLOADER_UNLOCKED');
  });

  it('an old patch level, and one in the future', async () => {
    const vector = akita();
    const input = { chain: vector.chain, challenge: vector.challenge, at: vector.createdAt };
    const policy = (rules: object) =>
      androidVerifier({ policy: { requireLockedBootloader: false, maxPatchMonthsAhead: 12, ...rules } });
    expect(await asyncOutcome(policy({ minPatchLevel: '2024-09' }).verify(input))).toBe('TRUST PATCH_LEVEL_TOO_OLD');
    expect((await outcome(policy({ minPatchLevel: '2024-08' }), input)).ok).toBe(true);
    // caiman's pre-release build reports patch level 2025-11 in a key created months earlier; one month ahead is allowed by default.
    const ahead = androidVectors().find((v) => v.name === 'caiman/sdk36/TEE_EC_RKP')!;
    const aheadInput = { chain: ahead.chain, challenge: ahead.challenge, at: ahead.createdAt };
    expect(new Date(ahead.createdAt).toISOString() < '2025-10-01').toBe(true);
    expect(await asyncOutcome(androidVerifier({ policy: { requireLockedBootloader: false } }).verify(aheadInput))).toBe(
      'TRUST PATCH_LEVEL_IN_FUTURE',
    );
  });

  it('a chain longer than allowed, an empty one, garbage DER and a leaf without a record', async () => {
    const vector = akita();
    const input = { challenge: vector.challenge, at: vector.createdAt };
    expect(await asyncOutcome(androidVerifier({ maxChainLength: 4 }).verify({ ...input, chain: vector.chain }))).toBe(
      'CONTENT CERTIFICATE_CHAIN_TOO_LONG',
    );
    expect(await asyncOutcome(androidVerifier().verify({ ...input, chain: [] }))).toBe(
      'CONTENT CERTIFICATE_CHAIN_EMPTY',
    );
    expect(await asyncOutcome(androidVerifier().verify({ ...input, chain: [Buffer.from('not a certificate')] }))).toBe(
      'CONTENT MALFORMED_CERTIFICATE',
    );
    expect(await asyncOutcome(androidVerifier().verify({ ...input, chain: vector.chain.slice(1) }))).toBe(
      'CONTENT KEY_DESCRIPTION_MISSING',
    );
  });

  it('a chain whose leaf was signed by someone else', async () => {
    const vector = akita();
    const other = androidVectors().find((v) => v.name === 'tegu/sdk36/TEE_EC_2026_ROOT')!;
    expect(
      await asyncOutcome(
        androidVerifier(forTestDevices).verify({
          chain: [vector.chain[0]!, ...other.chain.slice(1)],
          challenge: vector.challenge,
          at: vector.createdAt,
        }),
      ),
    ).toBe('TRUST CERTIFICATE_SIGNATURE_INVALID');
  });
});
