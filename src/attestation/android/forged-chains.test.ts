import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  buildCertificate,
  encodeName,
  extensions,
  keyIdentifier,
  randomSerial,
  type Extension,
  type Signer,
} from '../../crypto/x509/certificate-builder.js';
import { parseCertificate } from '../../crypto/x509/certificate.js';
import { TrustAnchors } from '../../crypto/x509/chain.js';
import * as der from '../../crypto/asn1/der-writer.js';
import { spkiOf } from '../../crypto/keys.js';
import { encodeKeyDescription, type SimulatedRecord } from '../../simulator/android/key-description-encoder.js';
import { androidVerifier, forgedTopCertificate } from '../../../test/helpers/android.js';
import { asyncOutcome } from '../../../test/helpers/outcome.js';
import { androidVectors } from '../../../test/helpers/vectors.js';
import { KEY_DESCRIPTION_OID, KEY_PURPOSE } from './constants.js';

/**
 * Hostile chains (issue 16): certificates that borrow an anchor's key or Google's names, issuers
 * without CA rights, records that contradict themselves. Each must be refused or must not earn
 * what it claims.
 */
const AT = Date.UTC(2026, 10, 15);
const YEAR = 365 * 86_400_000;
const challenge = Buffer.from('forged-chain-test-challenge');
const forTestDevices = { requireLockedBootloader: false, maxPatchMonthsAhead: 12 };

interface Issuer extends Signer {
  certificate: Buffer;
}

const newKeys = () => generateKeyPairSync('ec', { namedCurve: 'P-256' });

function certificate(
  subject: string,
  publicKey: KeyObject,
  issuer: Signer | 'self',
  options: { extensions?: Extension[]; privateKey?: KeyObject; notAfter?: number } = {},
): Buffer {
  const subjectDer = encodeName(
    subject
      .split(', ')
      .map((part) => part.split('=') as [string, string])
      .map(([type, value]) => [NAME_OIDS[type]!, value] as const),
  );
  const spki = spkiOf(publicKey);
  const signer =
    issuer === 'self' ? { key: options.privateKey!, subjectDer, keyIdentifier: keyIdentifier(spki) } : issuer;
  return buildCertificate(
    {
      serial: randomSerial(),
      subjectDer,
      spki,
      notBefore: AT - YEAR,
      notAfter: options.notAfter ?? AT + YEAR,
      extensions: options.extensions ?? [],
    },
    signer,
  );
}

const NAME_OIDS: Record<string, string> = { CN: '2.5.4.3', O: '2.5.4.10', serialNumber: '2.5.4.5', title: '2.5.4.12' };
const CA = [extensions.basicConstraints(true), extensions.keyUsage(5, 6)];

function issuerOf(der: Buffer, privateKey: KeyObject): Issuer {
  const parsed = parseCertificate(der);
  return {
    certificate: der,
    key: privateKey,
    subjectDer: parsed.subjectDer,
    keyIdentifier: keyIdentifier(parsed.spki),
  };
}

function authority(subject: string, issuer: Issuer | 'self', caExtensions: Extension[] = CA): Issuer {
  const keys = newKeys();
  return issuerOf(
    certificate(subject, keys.publicKey, issuer, { extensions: caExtensions, privateKey: keys.privateKey }),
    keys.privateKey,
  );
}

function leaf(issuer: Signer, record: Partial<SimulatedRecord> = {}): Buffer {
  return certificate('CN=Android Keystore Key', newKeys().publicKey, issuer, {
    extensions: [
      { oid: KEY_DESCRIPTION_OID, critical: false, value: encodeKeyDescription({ challenge, ...record }, AT) },
    ],
  });
}

/** A generated root and the verifier that trusts it. */
function trustedRoot(policy: object = {}, rkpKeys?: string[]) {
  const root = authority('CN=Forged Chain Test Root', 'self');
  const verifier = androidVerifier(
    { policy: { ...forTestDevices, ...policy }, ...(rkpKeys ? { rkpKeys } : {}) },
    TrustAnchors.fromPem(parseCertificate(root.certificate).toPem(), 'test root'),
  );
  return { root, verify: (chain: Buffer[]) => verifier.verify({ chain, challenge, at: AT }) };
}

describe('a top certificate that carries an anchor key is the anchor only when it is the anchor certificate', () => {
  const vector = androidVectors().find((candidate) => candidate.name === 'blueline/sdk28/TEE_EC_NONE')!;
  const input = (chain: Buffer[]) => ({ chain, challenge: vector.challenge, at: vector.createdAt });
  // Google's RSA root key and subject, named as issued by "Droid CA2" and signed by a key of the attacker's.
  const forgedRoot = forgedTopCertificate(vector.chain.at(-1)!);
  const forged = [...vector.chain.slice(0, -1), forgedRoot];

  it('does not make a factory chain RKP (the requireRkp bypass)', async () => {
    const strict = androidVerifier({ policy: { ...forTestDevices, requireRkp: true } });
    expect(await asyncOutcome(strict.verify(input(vector.chain)))).toBe('TRUST RKP_REQUIRED');
    expect(await asyncOutcome(strict.verify(input(forged)))).toBe('TRUST RKP_REQUIRED');
  });

  it('is left out of the path: the chain anchors at the key, and nothing is reported from the forged certificate', async () => {
    const result = await androidVerifier({ policy: forTestDevices }).verify(input(forged));
    expect(result.facts.rkp).toBe(false);
    expect(result.anchor).toMatch(/^Google hardware attestation root/);
    const chain = result.facts.chain as { issuer: string }[];
    expect(chain).toHaveLength(vector.chain.length - 1);
    expect(chain.map((certificate) => certificate.issuer).join(' ')).not.toContain('Droid');
  });

  it('still anchors the genuine root certificate, which is then part of the path', async () => {
    const result = await androidVerifier({ policy: forTestDevices }).verify(input(vector.chain));
    expect(result.facts.chain as unknown[]).toHaveLength(vector.chain.length);
  });

  it('reads no attestation record from it, even a malformed one', async () => {
    const withRecord = forgedTopCertificate(vector.chain.at(-1)!, [
      ...CA,
      { oid: KEY_DESCRIPTION_OID, critical: false, value: Buffer.from('not a KeyDescription') },
    ]);
    const result = await androidVerifier({ policy: forTestDevices }).verify(
      input([...vector.chain.slice(0, -1), withRecord]),
    );
    expect(result.facts.attestKeyRecords).toEqual([]);
  });

  it('refuses a chain that is only a certificate with an anchor key', async () => {
    expect(await asyncOutcome(androidVerifier({ policy: forTestDevices }).verify(input([forgedRoot])))).toMatch(
      /^(TRUST UNTRUSTED_ROOT|CONTENT KEY_DESCRIPTION_MISSING)$/,
    );
  });
});

describe('RKP is decided by pinned keys in the verified path', () => {
  it('recognises the real RKP chains by their Droid CA2 keys, and not once those keys are unpinned', async () => {
    for (const name of ['caiman/sdk36/TEE_EC_RKP', 'tegu/sdk36/TEE_EC_2026_ROOT']) {
      const vector = androidVectors().find((candidate) => candidate.name === name)!;
      const input = { chain: vector.chain, challenge: vector.challenge, at: vector.createdAt };
      expect((await androidVerifier({ policy: forTestDevices }).verify(input)).facts.rkp, name).toBe(true);
      // The EC root anchors only RKP chains: pinning it alone is enough.
      const ecRootOnly = ['3ee44512a1af2beb39c889490c60ea3f82e43f5d5a5532f5ab9419f676cd07ec'];
      expect(
        (await androidVerifier({ policy: forTestDevices, rkpKeys: ecRootOnly }).verify(input)).facts.rkp,
        name,
      ).toBe(name.startsWith('tegu'));
    }
  });

  it('ignores a "Droid CA3" that a factory batch key signed between the leaf and the real chain', async () => {
    const { root, verify } = trustedRoot({ requireRkp: true });
    const intermediate = authority('serialNumber=1a2b3c4d, title=TEE', root);
    const batch = authority('serialNumber=5e6f7a8b, title=TEE', intermediate);
    // The holder of the leaked batch key names a non-CA certificate of its own "Droid CA3".
    const fake = authority('O=Google LLC, CN=Droid CA3', batch, [extensions.basicConstraints(false)]);
    const chain = [leaf(fake), fake.certificate, batch.certificate, intermediate.certificate, root.certificate];
    expect(await asyncOutcome(verify(chain))).toBe('TRUST RKP_REQUIRED');
  });

  it('counts a chain through a pinned key as RKP', async () => {
    const root = authority('CN=Forged Chain Test Root', 'self');
    const droidCa2 = authority('O=Google LLC, CN=Droid CA2', root, [
      extensions.basicConstraints(true, 2),
      extensions.keyUsage(5, 6),
    ]);
    const droidCa3 = authority('O=Google LLC, CN=Droid CA3', droidCa2);
    const device = authority('O=TEE, CN=0123456789abcdef', droidCa3);
    const chain = [leaf(device), device.certificate, droidCa3.certificate, droidCa2.certificate, root.certificate];
    const anchors = TrustAnchors.fromPem(parseCertificate(root.certificate).toPem(), 'test root');
    const pinned = parseCertificate(droidCa2.certificate).spkiFingerprint;
    const verify = (rkpKeys: string[]) =>
      androidVerifier({ policy: { ...forTestDevices, requireRkp: true }, rkpKeys }, anchors).verify({
        chain,
        challenge,
        at: AT,
      });
    expect((await verify([pinned])).facts.rkp).toBe(true);
    expect(await asyncOutcome(verify([]))).toBe('TRUST RKP_REQUIRED');
  });

  it('judges attest-key certificates in an RKP chain by the intermediates rule, not the RKP one', async () => {
    const root = authority('CN=Forged Chain Test Root', 'self');
    const droidCa2 = authority('O=Google LLC, CN=Droid CA2', root);
    const droidCa3 = authority('O=Google LLC, CN=Droid CA3', droidCa2);
    const device = authority('O=TEE, CN=0123456789abcdef', droidCa3);
    const attestKeys = newKeys();
    // KeyMint writes the attest key's dates as the app asked: here one that has passed.
    const attestKey = issuerOf(
      certificate('CN=Android Keystore Key', attestKeys.publicKey, device, {
        notAfter: AT - 86_400_000,
        extensions: [
          {
            oid: KEY_DESCRIPTION_OID,
            critical: false,
            value: encodeKeyDescription({ challenge: Buffer.of(0), purposes: [KEY_PURPOSE.ATTEST_KEY] }, AT),
          },
        ],
      }),
      attestKeys.privateKey,
    );
    const chain = [
      leaf(attestKey),
      attestKey.certificate,
      device.certificate,
      droidCa3.certificate,
      droidCa2.certificate,
      root.certificate,
    ];
    const anchors = TrustAnchors.fromPem(parseCertificate(root.certificate).toPem(), 'test root');
    const rkpKeys = [parseCertificate(droidCa2.certificate).spkiFingerprint];
    const verify = (enforceIntermediateValidity: boolean) =>
      androidVerifier(
        { policy: forTestDevices, rkpKeys, enforceIntermediateValidity, enforceRkpValidity: true },
        anchors,
      ).verify({ chain, challenge, at: AT });
    expect((await verify(false)).facts.rkp).toBe(true);
    expect(await asyncOutcome(verify(true))).toBe('TIME CERTIFICATE_EXPIRED');
  });
});

describe('CA constraints on Android paths (RFC 5280 §6.1.4)', () => {
  /** leaf ← batch (exempt) ← `second` ← `third` ← root. */
  async function outcomeWith(second: Extension[], third: Extension[] = CA) {
    const { root, verify } = trustedRoot();
    const upper = authority('CN=Upper Intermediate', root, third);
    const lower = authority('CN=Lower Intermediate', upper, second);
    const batch = authority('serialNumber=00aa, title=TEE', lower, [
      extensions.basicConstraints(false),
      extensions.keyUsage(0),
    ]);
    return asyncOutcome(
      verify([leaf(batch), batch.certificate, lower.certificate, upper.certificate, root.certificate]),
    );
  }

  it('accepts a non-CA batch certificate directly above the leaf, as real factory chains have', async () => {
    expect(await outcomeWith(CA)).toBe('accepted');
  });

  it.each([
    ['cA false', [extensions.basicConstraints(false), extensions.keyUsage(5)]],
    ['no basicConstraints', [extensions.keyUsage(5)]],
    ['keyUsage digitalSignature only', [extensions.basicConstraints(true), extensions.keyUsage(0)]],
  ])('refuses an intermediate above the batch certificate with %s', async (_, flags) => {
    expect(await outcomeWith(flags)).toBe('TRUST CERTIFICATE_NOT_CA');
  });

  it('refuses a non-CA higher up the path too', async () => {
    expect(await outcomeWith(CA, [extensions.basicConstraints(false)])).toBe('TRUST CERTIFICATE_NOT_CA');
  });

  it('respects pathLenConstraint: a pathLen-0 CA may not have an intermediate CA below it', async () => {
    expect(await outcomeWith(CA, [extensions.basicConstraints(true, 0), extensions.keyUsage(5)])).toBe(
      'TRUST CERTIFICATE_NOT_CA',
    );
    expect(await outcomeWith(CA, [extensions.basicConstraints(true, 2), extensions.keyUsage(5)])).toBe('accepted');
    expect(await outcomeWith([extensions.basicConstraints(true, 0), extensions.keyUsage(5)])).toBe(
      'TRUST CERTIFICATE_NOT_CA',
    );
    expect(await outcomeWith([extensions.basicConstraints(true, 1), extensions.keyUsage(5)])).toBe('accepted');
  });

  it('exempts the certificate above an attest-key certificate (the factory batch), not the one above that', async () => {
    const { root, verify } = trustedRoot();
    const build = (intermediateFlags: Extension[]) => {
      const intermediate = authority('CN=Intermediate', root, intermediateFlags);
      const batch = authority('serialNumber=00bb, title=TEE', intermediate, [
        extensions.basicConstraints(false),
        extensions.keyUsage(0),
      ]);
      const attestKeys = newKeys();
      const attestKey = issuerOf(
        certificate('CN=Android Keystore Key', attestKeys.publicKey, batch, {
          extensions: [
            {
              oid: KEY_DESCRIPTION_OID,
              critical: false,
              value: encodeKeyDescription({ challenge: Buffer.of(0), purposes: [KEY_PURPOSE.ATTEST_KEY] }, AT),
            },
          ],
        }),
        attestKeys.privateKey,
      );
      return [leaf(attestKey), attestKey.certificate, batch.certificate, intermediate.certificate, root.certificate];
    };
    expect(await asyncOutcome(verify(build(CA)))).toBe('accepted');
    expect(await asyncOutcome(verify(build([extensions.basicConstraints(false)])))).toBe('TRUST CERTIFICATE_NOT_CA');
  });
});

describe('records that state a fact twice', () => {
  const applicationId = (name: string) =>
    der.octetString(
      der.sequence(
        der.setOf(der.sequence(der.octetString(Buffer.from(name)), der.integer(1))),
        der.setOf(der.octetString(Buffer.alloc(32, 7))),
      ),
    );

  it('refuses an attestationApplicationId in both lists with different values', async () => {
    const { root, verify } = trustedRoot();
    const batch = authority('CN=Batch', root);
    const chain = (record: Partial<SimulatedRecord>) => [leaf(batch, record), batch.certificate, root.certificate];
    const conflicting = {
      packageName: 'com.example.innocent',
      extraHardwareTags: { 709: applicationId('com.example.wallet') },
    };
    expect(await asyncOutcome(verify(chain(conflicting)))).toBe('CONTENT CONFLICTING_AUTHORIZATIONS');
    expect(
      await asyncOutcome(verify(chain({ creationDateTime: AT, extraHardwareTags: { 701: der.integer(AT - 1000) } }))),
    ).toBe('CONTENT CONFLICTING_AUTHORIZATIONS');
  });

  it('accepts the same fact stated identically in both lists', async () => {
    const { root, verify } = trustedRoot();
    const batch = authority('CN=Batch', root);
    const same = {
      packageName: 'com.example.wallet',
      signerDigests: [Buffer.alloc(32, 7)],
      extraHardwareTags: { 709: applicationId('com.example.wallet') },
    };
    const result = await verify([leaf(batch, same), batch.certificate, root.certificate]);
    expect(result.app.ids).toEqual(['com.example.wallet']);
  });
});
