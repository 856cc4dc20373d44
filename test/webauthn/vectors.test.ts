import { decode } from 'cbor2';
import { describe, expect, it } from 'vitest';
import { WEBAUTHN_ANDROID_POLICY } from '../../src/attestation/webauthn/formats/android-key.js';
import type { FormatContext, WebAuthnRegistrationResult } from '../../src/attestation/webauthn/types.js';
import { WebAuthnVerifier } from '../../src/attestation/webauthn/verify-registration.js';
import { DEFAULT_REFUSED_STATUSES } from '../../src/attestation/webauthn/metadata/status-policy.js';
import { shippedAnchors } from '../../src/assets.js';
import { parseCertificate } from '../../src/crypto/x509/certificate.js';
import { TrustAnchors } from '../../src/crypto/x509/chain.js';
import { isKeywardError } from '../../src/errors.js';
import { androidVerifier } from '../helpers/android.js';
import { readVector } from '../helpers/vectors.js';

/**
 * The SimpleWebAuthn registrations (test/vectors/webauthn, MIT): each behaves as its `expect`
 * says, in monitor mode, at its verifyAt (null: the leaf's notBefore + 1 hour, or now for
 * statements without certificates), with its RP ID (null: the origin's host), origin and
 * challenge. Beyond verified or not, each is checked for format, attestation type, AAGUID and trust.
 */

interface Vector {
  name: string;
  expect: 'success' | 'failure';
  verifyAt: string | null;
  expectedChallenge: string;
  expectedOrigin: string;
  expectedRPID: string | null;
  response: { id: string; rawId: string; response: { attestationObject: string; clientDataJSON: string } };
}

const VECTORS: Vector[] = JSON.parse(readVector('webauthn/simplewebauthn-registrations.json'));

/** Every algorithm Keyward verifies, RS1 included (old TPMs), as a server configured for all of them would offer. */
const ALGORITHMS = [-7, -35, -36, -8, -257, -258, -259, -37, -38, -39, -65535];

const appleRoot = new TrustAnchors(shippedAnchors('roots/apple-webauthn-root-ca.pem', 'Apple WebAuthn Root CA'));
const safetynetRoot = new TrustAnchors(shippedAnchors('roots/gts-root-r1.pem', 'GTS Root R1'));
/**
 * Microsoft TPM Root Certificate Authority 2014, which Keyward does not ship: configured for the
 * Windows Hello vectors, as an operator would. The FIDO conformance tools' FAKE roots (TPM,
 * Android, U2F) are not published, so those vectors end in trust none.
 */
const microsoftTpmRoot = new TrustAnchors(
  TrustAnchors.fromPem(readVector('webauthn/roots/microsoft-tpm-root-ca-2014.pem'), 'configured root'),
);
const ROOTS: Record<string, TrustAnchors> = {
  apple: appleRoot,
  'android-safetynet': safetynetRoot,
  tpm: microsoftTpmRoot,
};
const NO_ROOTS = new TrustAnchors([]);

const android = androidVerifier();

function context(overrides: Partial<FormatContext> = {}): FormatContext {
  return {
    rootsFor: (fmt) => ROOTS[fmt] ?? NO_ROOTS,
    android: (chain, challenge, at) => android.verify({ chain, challenge, at, policy: WEBAUTHN_ANDROID_POLICY }),
    requireCtsProfileMatch: true,
    safetynetMaxAgeMs: 60_000,
    maxChainLength: 6,
    ...overrides,
  };
}

/** The time each vector is verified at. */
function verificationTime(vector: Vector): number {
  if (vector.verifyAt) return Date.parse(vector.verifyAt);
  const object = decode(Buffer.from(vector.response.response.attestationObject, 'base64url'), {
    preferMap: true,
  }) as Map<string, Map<string, unknown>>;
  const x5c = object.get('attStmt')!.get('x5c') as Uint8Array[] | undefined;
  if (!x5c) return Date.now();
  return parseCertificate(x5c[0]!, 'MALFORMED_CERTIFICATE', { cache: false }).notBefore + 3600_000;
}

async function verify(vector: Vector, overrides: Partial<FormatContext> = {}): Promise<WebAuthnRegistrationResult> {
  const verifier = new WebAuthnVerifier({
    context: context(overrides),
    mode: 'monitor',
    statusPolicy: { refuse: DEFAULT_REFUSED_STATUSES, minCertificationLevel: '' },
  });
  const { response } = vector.response;
  return verifier.verifyRegistration(
    {
      id: vector.response.id,
      clientDataJSON: Buffer.from(response.clientDataJSON, 'base64url'),
      attestationObject: Buffer.from(response.attestationObject, 'base64url'),
    },
    {
      challenge: Buffer.from(vector.expectedChallenge, 'base64url'),
      origins: [vector.expectedOrigin],
      rpId: vector.expectedRPID ?? new URL(vector.expectedOrigin).hostname,
      requireUserPresence: true,
      requireUserVerification: false,
      algorithms: ALGORITHMS,
    },
    verificationTime(vector),
  );
}

const ZERO = '00000000-0000-0000-0000-000000000000';

/** What each successful vector yields: format, attestation type, AAGUID, trust. */
const OUTCOMES: Record<string, { fmt: string; type: string; aaguid: string; trust: string }> = {
  'should verify Android Keystore response from FIDO Conformance in 2020': {
    fmt: 'android-key',
    type: 'basic',
    aaguid: '550e4b54-aa47-409f-9a95-1ab76c130131',
    trust: 'none',
  },
  'should verify Android Keystore response from a Pixel 8a in January 2025': {
    fmt: 'android-key',
    type: 'basic',
    aaguid: 'b93fd961-f2e6-462f-b122-82002247de78',
    trust: 'root',
  },
  'should verify Android Keystore response from a Samsung Galaxy S9+ running Android 10': {
    fmt: 'android-key',
    type: 'basic',
    aaguid: 'b93fd961-f2e6-462f-b122-82002247de78',
    trust: 'root',
  },
  'should verify Apple attestation': { fmt: 'apple', type: 'anonca', aaguid: ZERO, trust: 'root' },
  'should verify TPM response': {
    fmt: 'tpm',
    type: 'attca',
    aaguid: 'a7d6d93a-8a0d-11e8-9a94-a6cf71072f73',
    trust: 'none',
  },
  'should verify SHA1 TPM response': {
    fmt: 'tpm',
    type: 'attca',
    aaguid: 'f244b67e-5364-4fd5-9f90-c396227317db',
    trust: 'none',
  },
  'should verify SHA256 TPM response': {
    fmt: 'tpm',
    type: 'attca',
    aaguid: 'a7d6d93a-8a0d-11e8-9a94-a6cf71072f73',
    trust: 'none',
  },
  'should verify TPM response with spec-compliant tcgAtTpm SAN structure': {
    fmt: 'tpm',
    type: 'attca',
    aaguid: '08987058-cadc-4b81-b6e1-30de50dcbe96',
    trust: 'root',
  },
  'should verify TPM response with non-spec-compliant tcgAtTpm SAN structure': {
    fmt: 'tpm',
    type: 'attca',
    aaguid: '08987058-cadc-4b81-b6e1-30de50dcbe96',
    trust: 'root',
  },
  'should verify TPM response with ECC public area type': {
    fmt: 'tpm',
    type: 'attca',
    aaguid: '08987058-cadc-4b81-b6e1-30de50dcbe96',
    trust: 'root',
  },
  'should verify (broken) Packed response from Chrome virtual authenticator': {
    fmt: 'packed',
    type: 'basic',
    aaguid: '01020304-0506-0708-0102-030405060708',
    trust: 'none',
  },
  'should verify None attestation w/RSA public key': {
    fmt: 'none',
    type: 'none',
    aaguid: '6028b017-b1d4-4c02-b4b3-afcdafc96bb2',
    trust: 'none',
  },
  'should validate TPM RSA response (SHA256)': {
    fmt: 'tpm',
    type: 'attca',
    aaguid: 'a7d6d93a-8a0d-11e8-9a94-a6cf71072f73',
    trust: 'none',
  },
  'should validate TPM RSA response (SHA1)': {
    fmt: 'tpm',
    type: 'attca',
    aaguid: 'f244b67e-5364-4fd5-9f90-c396227317db',
    trust: 'none',
  },
  'should validate Android-Key response': {
    fmt: 'android-key',
    type: 'basic',
    aaguid: '550e4b54-aa47-409f-9a95-1ab76c130131',
    trust: 'none',
  },
  'should pass verification if custom challenge verifier returns true': {
    fmt: 'packed',
    type: 'self',
    aaguid: 'adce0002-35bc-c60a-648b-0b25f1f05503',
    trust: 'none',
  },
  'should pass verification if custom challenge verifier returns a Promise that resolves with true': {
    fmt: 'packed',
    type: 'self',
    aaguid: 'adce0002-35bc-c60a-648b-0b25f1f05503',
    trust: 'none',
  },
  'should return authenticator extension output': { fmt: 'none', type: 'none', aaguid: ZERO, trust: 'none' },
  'should verify FIDO U2F attestation that specifies SHA-1 in its leaf cert public key': {
    fmt: 'fido-u2f',
    type: 'basic',
    aaguid: ZERO,
    trust: 'none',
  },
  'should verify Packed attestation with RSA-PSS SHA-256 public key': {
    fmt: 'packed',
    type: 'self',
    aaguid: 'a96c4970-7d5f-4d6a-81f7-7632b7ae0240',
    trust: 'none',
  },
  'should verify Packed attestation with RSA-PSS SHA-384 public key': {
    fmt: 'packed',
    type: 'self',
    aaguid: '06ecba69-665c-4299-bd7f-43546324d1cd',
    trust: 'none',
  },
  'should skip CTS check when enforcement option is false': {
    fmt: 'android-safetynet',
    type: 'basic',
    aaguid: 'b93fd961-f2e6-462f-b122-82002247de78',
    trust: 'root',
  },
};

/**
 * What each failing vector is refused with. The source refuses the 2019 SafetyNet response for
 * its revoked leaf (a CRL lookup); at the time it pinned, 2021-10-15, the response is two years
 * old, which refuses it here before its certificates are looked at.
 */
const REFUSALS: Record<string, string> = {
  'should enforce CTS check by default': 'SAFETYNET_CTS_PROFILE_MISMATCH',
  'should reject when a revoked certificate is found': 'SAFETYNET_TIMESTAMP_TOO_OLD',
};

/** The one vector that is about a relying party's option: fido2.safetynet.requireCtsProfileMatch off. */
const OPTIONS: Record<string, Partial<FormatContext>> = {
  'should skip CTS check when enforcement option is false': { requireCtsProfileMatch: false },
};

describe('SimpleWebAuthn registration vectors, monitor mode', () => {
  it('are all known to this test', () => {
    expect(VECTORS).toHaveLength(24);
    for (const vector of VECTORS) {
      const known = vector.expect === 'success' ? OUTCOMES[vector.name] : REFUSALS[vector.name];
      expect(known, vector.name).toBeDefined();
    }
  });

  for (const vector of VECTORS.filter((vector) => vector.expect === 'success')) {
    it(`verifies: ${vector.name}`, async () => {
      const outcome = OUTCOMES[vector.name]!;
      const result = await verify(vector, OPTIONS[vector.name]);
      expect({
        fmt: result.fmt,
        type: result.attestationType,
        aaguid: result.aaguid,
        trust: result.trust,
      }).toEqual(outcome);
      expect(Buffer.from(result.credentialId).toString('base64url')).toBe(vector.response.id);
      expect(result.metadata).toEqual({ found: false, statuses: [] });
      if (outcome.trust === 'none' && result.trustPath.length > 0) {
        // An untrusted chain is accepted in monitor mode, and said so.
        expect(result.warnings.some((warning) => warning.includes('reaches no trusted root'))).toBe(true);
      }
      if (outcome.trust !== 'none') expect(result.anchor).toBeTruthy();
      else expect(result.anchor).toBeUndefined();
      if (outcome.type === 'none' || outcome.type === 'self') expect(result.trustPath).toEqual([]);
      else expect(result.trustPath.length).toBeGreaterThan(0);
    });
  }

  for (const vector of VECTORS.filter((vector) => vector.expect === 'failure')) {
    it(`refuses: ${vector.name}`, async () => {
      const error = await verify(vector, OPTIONS[vector.name]).then(
        () => undefined,
        (caught: unknown) => caught,
      );
      expect(isKeywardError(error), String(error)).toBe(true);
      expect(isKeywardError(error) && error.code).toBe(REFUSALS[vector.name]);
    });
  }

  it('accepts the Chrome virtual authenticator packed statement with its quirk named, not its certificate trusted', async () => {
    const vector = VECTORS.find((item) => item.name.includes('(broken) Packed'))!;
    const result = await verify(vector);
    expect(result.warnings).toEqual([
      expect.stringContaining('basicConstraints cA FALSE explicitly'),
      expect.stringContaining('reaches no trusted root'),
    ]);
  });

  it('records the authenticator extension outputs', async () => {
    const vector = VECTORS.find((item) => item.name === 'should return authenticator extension output')!;
    const result = await verify(vector);
    expect(result.facts.authenticatorExtensions).toBeDefined();
    expect(result.flags & 0x80).toBe(0x80);
  });

  it('trusts the Windows Hello vectors only through the configured Microsoft root', async () => {
    const vector = VECTORS.find((item) => item.name.includes('ECC public area type'))!;
    const result = await verify(vector, { rootsFor: (fmt) => (fmt === 'tpm' ? NO_ROOTS : (ROOTS[fmt] ?? NO_ROOTS)) });
    expect(result.trust).toBe('none');
  });
});
