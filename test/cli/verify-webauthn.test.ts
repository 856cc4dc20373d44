import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decode } from 'cbor2';
import { afterAll, describe, expect, it } from 'vitest';
import { parseCertificate } from '../../src/crypto/x509/certificate.js';
import { SimulatedAuthenticator } from '../../src/simulator/webauthn/authenticator.js';
import type { SimulatedFormat } from '../../src/simulator/webauthn/models.js';
import { runCli } from '../helpers/cli.js';
import { readVector, vectorPath } from '../helpers/vectors.js';

/**
 * `keyward verify webauthn` on the SimpleWebAuthn registrations (test/vectors/webauthn, MIT) and
 * on registrations of Keyward's simulated authenticators, run through the built CLI.
 */

interface Vector {
  name: string;
  verifyAt: string | null;
  expectedChallenge: string;
  expectedOrigin: string;
  expectedRPID: string | null;
  response: { id: string; response: { attestationObject: string } };
}

const VECTORS: Vector[] = JSON.parse(readVector('webauthn/simplewebauthn-registrations.json'));
const MICROSOFT_TPM_ROOT = vectorPath('webauthn/roots/microsoft-tpm-root-ca-2014.pem');
const REAL_BLOB = vectorPath('mds/mds3-blob-2021-no9.jwt');
const FAKE_BLOB = vectorPath('mds/conformance-fake-blob.jwt');
const SIMULATOR_METADATA = 'assets/simulator/webauthn-metadata';

const work = mkdtempSync(join(tmpdir(), 'keyward-verify-webauthn-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const file = (name: string, content: string) => {
  const path = join(work, name);
  writeFileSync(path, content);
  return path;
};

/** The vector's response as a file, and the flags its `expect…` fields give (at: verifyAt, else the leaf's notBefore + 1 hour). */
function vector(name: string): { path: string; flags: string[]; challenge: string } {
  const found = VECTORS.find((item) => item.name === name);
  if (!found) throw new Error(`no vector ${name}`);
  const path = file(`${VECTORS.indexOf(found)}.json`, JSON.stringify(found.response));
  const flags = [
    '--rp-id',
    found.expectedRPID ?? new URL(found.expectedOrigin).hostname,
    '--origin',
    found.expectedOrigin,
  ];
  const at = verificationTime(found);
  if (at !== undefined) flags.push('--at', at);
  return { path, flags, challenge: found.expectedChallenge };
}

function verificationTime(found: Vector): string | undefined {
  if (found.verifyAt) return found.verifyAt;
  const object = decode(Buffer.from(found.response.response.attestationObject, 'base64url'), {
    preferMap: true,
  }) as Map<string, Map<string, unknown>>;
  const x5c = object.get('attStmt')!.get('x5c') as Uint8Array[] | undefined;
  if (!x5c) return undefined;
  const leaf = parseCertificate(x5c[0]!, 'MALFORMED_CERTIFICATE', { cache: false });
  return new Date(leaf.notBefore + 3600_000).toISOString();
}

async function verifyVector(name: string, extra: string[] = []) {
  const { path, flags, challenge } = vector(name);
  return run([path, ...flags, '--challenge', challenge, ...extra]);
}

async function run(args: string[]) {
  const result = await runCli(['verify', 'webauthn', ...args]);
  let json: any;
  try {
    json = JSON.parse(result.stdout);
  } catch {
    // Usage errors print nothing on stdout; anything else that does not print JSON crashed.
    if (result.code !== 2) throw new Error(`exit ${result.code} without JSON: ${result.stderr}`);
    json = undefined;
  }
  return { ...result, json };
}

const APPLE = 'should verify Apple attestation';
const PACKED_SELF = 'should verify Packed attestation with RSA-PSS SHA-256 public key';
const WINDOWS_HELLO_TPM = 'should verify TPM response with spec-compliant tcgAtTpm SAN structure';
const SAFETYNET_CTS = 'should enforce CTS check by default';
const NONE_WINDOWS_HELLO = 'should verify None attestation w/RSA public key';
const NONE_EXTENSIONS = 'should return authenticator extension output';

describe('keyward verify webauthn on real registrations', () => {
  it('trusts an Apple attestation through the shipped Apple WebAuthn Root CA', async () => {
    const result = await verifyVector(APPLE);
    expect(result.code).toBe(0);
    expect(result.json).toMatchObject({
      verified: true,
      fmt: 'apple',
      attestationType: 'anonca',
      trust: 'root',
      anchor: expect.stringContaining('Apple WebAuthn Root CA'),
      aaguid: '00000000-0000-0000-0000-000000000000',
      metadata: { found: false, statuses: [] },
      warnings: [],
    });
    expect(result.json.credentialId).toBe(VECTORS.find((item) => item.name === APPLE)!.response.id);
  });

  it("trusts a Pixel 8a's android-key attestation through Keyward's Android verifier and Google's roots", async () => {
    const result = await verifyVector('should verify Android Keystore response from a Pixel 8a in January 2025', [
      '--no-revocation',
    ]);
    expect(result.code).toBe(0);
    expect(result.json).toMatchObject({
      verified: true,
      fmt: 'android-key',
      attestationType: 'basic',
      trust: 'root',
      anchor: expect.stringContaining('Google hardware attestation root'),
      aaguid: 'b93fd961-f2e6-462f-b122-82002247de78',
      warnings: [],
      facts: { securityLevel: 'trusted-environment', osPatchLevel: '2025-01' },
    });
  });

  it('accepts packed self attestation, which nothing vouches for, without a warning', async () => {
    const result = await verifyVector(PACKED_SELF);
    expect(result.code).toBe(0);
    expect(result.json).toMatchObject({
      verified: true,
      fmt: 'packed',
      attestationType: 'self',
      trust: 'none',
      aaguid: 'a96c4970-7d5f-4d6a-81f7-7632b7ae0240',
      warnings: [],
      publicKeyAlgorithm: -37,
    });
    expect(result.json.anchor).toBeUndefined();
  });

  it('trusts a Windows Hello TPM attestation only with the Microsoft root given as --root tpm=…', async () => {
    const trusted = await verifyVector(WINDOWS_HELLO_TPM, ['--root', `tpm=${MICROSOFT_TPM_ROOT}`]);
    expect(trusted.code).toBe(0);
    expect(trusted.json).toMatchObject({
      verified: true,
      fmt: 'tpm',
      attestationType: 'attca',
      trust: 'root',
      anchor: expect.stringContaining('microsoft-tpm-root-ca-2014.pem'),
      aaguid: '08987058-cadc-4b81-b6e1-30de50dcbe96',
      warnings: [],
    });

    // A root for another format does not help.
    const untrusted = await verifyVector(WINDOWS_HELLO_TPM, ['--root', `packed=${MICROSOFT_TPM_ROOT}`]);
    expect(untrusted.code).toBe(0);
    expect(untrusted.json).toMatchObject({ verified: true, fmt: 'tpm', trust: 'none' });
    expect(untrusted.json.anchor).toBeUndefined();
    expect(untrusted.json.warnings).toEqual([expect.stringContaining('reaches no trusted root')]);
  });

  it('refuses the SafetyNet response whose ctsProfileMatch is false, and accepts it with --no-cts', async () => {
    const refused = await verifyVector(SAFETYNET_CTS);
    expect(refused.code).toBe(1);
    expect(refused.json).toMatchObject({
      verified: false,
      category: expect.any(String),
      code: 'SAFETYNET_CTS_PROFILE_MISMATCH',
      message: expect.any(String),
      fmt: 'android-safetynet',
      aaguid: 'b93fd961-f2e6-462f-b122-82002247de78',
    });

    const accepted = await verifyVector(SAFETYNET_CTS, ['--no-cts']);
    expect(accepted.code).toBe(0);
    expect(accepted.json).toMatchObject({ verified: true, fmt: 'android-safetynet', trust: 'root' });
  });

  it('refuses a response from an origin that was not given (exit 1, ORIGIN_MISMATCH)', async () => {
    const { path, flags, challenge } = vector(APPLE);
    const origin = flags.indexOf('--origin') + 1;
    flags[origin] = 'https://evil.example';
    const result = await run([path, ...flags, '--challenge', challenge]);
    expect(result.code).toBe(1);
    expect(result.json).toMatchObject({ verified: false, category: 'TRUST', code: 'ORIGIN_MISMATCH', fmt: 'apple' });

    // Any of several --origin values will do.
    const several = await run([path, ...flags, '--origin', 'https://dev.dontneeda.pw', '--challenge', challenge]);
    expect(several.code).toBe(0);
  });

  it('refuses another RP ID (exit 1, RP_ID_MISMATCH)', async () => {
    const { path, flags, challenge } = vector(APPLE);
    flags[flags.indexOf('--rp-id') + 1] = 'other.example';
    const result = await run([path, ...flags, '--challenge', challenge]);
    expect(result.code).toBe(1);
    expect(result.json).toMatchObject({ verified: false, code: 'RP_ID_MISMATCH' });
  });

  it('reads an unprefixed challenge as base64url, as clientDataJSON has it, and takes the other notations', async () => {
    // This challenge has base64url's own characters (_ and -): as plain base64 it would not parse.
    const { path, flags, challenge } = vector(NONE_EXTENSIONS);
    expect(challenge).toMatch(/[_-]/);
    const bytes = Buffer.from(challenge, 'base64url');
    for (const notation of [
      challenge,
      `b64url:${challenge}`,
      `b64:${bytes.toString('base64')}`,
      `hex:${bytes.toString('hex')}`,
    ]) {
      const result = await run([path, ...flags, '--challenge', notation]);
      expect(result.code, notation).toBe(0);
      expect(result.json).toMatchObject({ verified: true, fmt: 'none', trust: 'none' });
    }

    const other = await run([path, ...flags, '--challenge', randomBytes(32).toString('base64url')]);
    expect(other.code).toBe(1);
    expect(other.json).toMatchObject({ verified: false, category: 'CONTENT', code: 'WEBAUTHN_CHALLENGE_MISMATCH' });

    // The same characters as utf8: are other bytes.
    const utf8 = await run([path, ...flags, '--challenge', `utf8:${challenge}`]);
    expect(utf8.code).toBe(1);
    expect(utf8.json.code).toBe('WEBAUTHN_CHALLENGE_MISMATCH');
  });

  it('in enforced mode refuses an authenticator without metadata (METADATA_NOT_FOUND)', async () => {
    const result = await verifyVector(WINDOWS_HELLO_TPM, ['--root', `tpm=${MICROSOFT_TPM_ROOT}`, '--mode', 'enforced']);
    expect(result.code).toBe(1);
    expect(result.json).toMatchObject({ verified: false, category: 'TRUST', code: 'METADATA_NOT_FOUND', fmt: 'tpm' });
  });

  it('in disabled mode does not look at the attestation statement', async () => {
    const result = await verifyVector(WINDOWS_HELLO_TPM, ['--mode', 'disabled']);
    expect(result.code).toBe(0);
    expect(result.json).toMatchObject({
      verified: true,
      fmt: 'tpm',
      attestationType: 'none',
      trust: 'none',
      warnings: [],
    });
  });

  it('looks the authenticator up in a verified MDS3 BLOB given with --mds', async () => {
    const monitor = await verifyVector(NONE_WINDOWS_HELLO, ['--mds', REAL_BLOB, '--at', '2021-11-15T12:00:00Z']);
    expect(monitor.code).toBe(0);
    expect(monitor.json).toMatchObject({
      verified: true,
      fmt: 'none',
      trust: 'none',
      aaguid: '6028b017-b1d4-4c02-b4b3-afcdafc96bb2',
      metadata: {
        found: true,
        description: 'Windows Hello Software Authenticator',
        statuses: ['FIDO_CERTIFIED_L1'],
        source: 'mds:9',
      },
    });

    // Enforced: known, but a none attestation vouches for nothing.
    const enforced = await verifyVector(NONE_WINDOWS_HELLO, [
      '--mds',
      REAL_BLOB,
      '--at',
      '2021-11-15T12:00:00Z',
      '--mode',
      'enforced',
    ]);
    expect(enforced.code).toBe(1);
    expect(enforced.json).toMatchObject({ verified: false, code: 'ATTESTATION_TYPE_REFUSED' });
  });

  it('stops with exit 2 when the --mds BLOB does not verify', async () => {
    // The real BLOB, long past its nextUpdate (and its signer's certificate expired).
    const stale = await verifyVector(NONE_WINDOWS_HELLO, ['--mds', REAL_BLOB, '--at', '2023-01-01T00:00:00Z']);
    expect(stale.code).toBe(2);
    expect(stale.stdout).toBe('');
    expect(stale.stderr).toMatch(/--mds .*mds3-blob-2021-no9\.jwt: the metadata BLOB does not verify at 2023-01-01/);

    // The conformance tools' BLOB chains to a FAKE root nobody ships.
    const fake = await verifyVector(NONE_WINDOWS_HELLO, ['--mds', FAKE_BLOB]);
    expect(fake.code).toBe(2);
    expect(fake.stderr).toMatch(/the metadata BLOB does not verify .*UNTRUSTED_ROOT/);
  });

  it('refuses a file that is JSON but not a registration response (exit 1, RESPONSE_MALFORMED)', async () => {
    const path = file('not-a-credential.json', JSON.stringify({ type: 'public-key', id: 'AAAA' }));
    const result = await run([
      path,
      '--rp-id',
      'example.com',
      '--origin',
      'https://example.com',
      '--challenge',
      'AAAA',
    ]);
    expect(result.code).toBe(1);
    expect(result.json).toMatchObject({ verified: false, category: 'CONTENT', code: 'RESPONSE_MALFORMED' });
  });
});

describe('keyward verify webauthn on simulated authenticators', () => {
  const RP_ID = 'keyward.example';
  const ORIGIN = 'https://keyward.example';

  async function simulated(format: SimulatedFormat) {
    const authenticator = await SimulatedAuthenticator.create({ format });
    const challenge = randomBytes(32);
    const response = await authenticator.register({
      rpId: RP_ID,
      origin: ORIGIN,
      challenge,
      user: { id: randomBytes(16), name: 'alice' },
    });
    const path = file(`simulated-${format}.json`, JSON.stringify(response));
    return {
      aaguid: authenticator.aaguid,
      response,
      args: [path, '--rp-id', RP_ID, '--origin', ORIGIN, '--challenge', challenge.toString('base64url')],
    };
  }

  it('trusts a simulated packed authenticator through its metadata statement in enforced mode', async () => {
    const { args, aaguid } = await simulated('packed');
    const result = await run([...args, '--mds', SIMULATOR_METADATA, '--mode', 'enforced', '--trust-simulator-roots']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.json).toMatchObject({
      verified: true,
      fmt: 'packed',
      attestationType: 'basic',
      trust: 'metadata',
      anchor: expect.stringContaining('metadata root'),
      aaguid,
      metadata: { found: true, description: 'Keyward simulator packed', source: 'local:packed.json' },
    });
    expect(result.json.warnings).toEqual([expect.stringContaining('SIMULATED authenticator')]);
  });

  it('trusts the simulator roots only with --trust-simulator-roots', async () => {
    const { args } = await simulated('packed');
    const trusted = await run([...args, '--trust-simulator-roots']);
    expect(trusted.code).toBe(0);
    expect(trusted.json).toMatchObject({ verified: true, trust: 'root', anchor: expect.stringContaining('SIMULATOR') });

    const untrusted = await run(args);
    expect(untrusted.code).toBe(0);
    expect(untrusted.json).toMatchObject({ verified: true, trust: 'none' });
    expect(untrusted.json.warnings).toEqual([expect.stringContaining('reaches no trusted root')]);
  });

  it("verifies a simulated android-key registration through Keyward's Android verifier", async () => {
    const { args, aaguid } = await simulated('android-key');
    const trusted = await run([...args, '--trust-simulator-roots', '--no-revocation']);
    expect(trusted.code, trusted.stderr).toBe(0);
    expect(trusted.json).toMatchObject({
      verified: true,
      fmt: 'android-key',
      attestationType: 'basic',
      trust: 'root',
      anchor: expect.stringContaining('SIMULATOR'),
      aaguid,
    });
    // The Android verifier's verdict is recorded.
    expect(trusted.json.facts).toMatchObject({ securityLevel: expect.any(String), bootState: expect.any(Object) });

    const untrusted = await run([...args, '--no-revocation']);
    expect(untrusted.code).toBe(0);
    expect(untrusted.json).toMatchObject({ verified: true, fmt: 'android-key', trust: 'none' });
  });

  it('checks an android-key chain against the status list given with --revocation-list', async () => {
    const { args, response } = await simulated('android-key');
    const object = decode(Buffer.from(response.response.attestationObject, 'base64url'), {
      preferMap: true,
    }) as Map<string, Map<string, unknown>>;
    const x5c = object.get('attStmt')!.get('x5c') as Uint8Array[];
    const intermediate = parseCertificate(x5c[1]!, 'MALFORMED_CERTIFICATE', { cache: false });
    const revoking = file(
      'revoking-status.json',
      JSON.stringify({ entries: { [intermediate.serial]: { status: 'REVOKED', reason: 'KEY_COMPROMISE' } } }),
    );
    const revoked = await run([...args, '--trust-simulator-roots', '--revocation-list', revoking]);
    expect(revoked.code).toBe(1);
    expect(revoked.json).toMatchObject({ verified: false, category: 'TRUST', code: 'CERTIFICATE_REVOKED' });

    const clean = file('clean-status.json', JSON.stringify({ entries: {} }));
    const accepted = await run([...args, '--trust-simulator-roots', '--revocation-list', clean]);
    expect(accepted.code).toBe(0);
    expect(accepted.json).toMatchObject({ verified: true, trust: 'root' });
  });
});

describe('keyward verify webauthn usage errors (exit 2)', () => {
  const { path, flags, challenge } = vector(PACKED_SELF);
  const base = [path, ...flags, '--challenge', challenge];

  it.each([
    ['a missing --rp-id', [path, '--origin', 'http://localhost:8000', '--challenge', challenge], /--rp-id/],
    ['a missing --challenge', [path, ...flags], /--challenge/],
    ['a challenge in standard base64 without b64:', [path, ...flags, '--challenge', 'ab+/'], /not base64url/],
    ['a malformed hex: challenge', [path, ...flags, '--challenge', 'hex:abc'], /not valid hex/],
    ['an unknown --mode', [...base, '--mode', 'strict'], /--mode/],
    ['a --root for an unknown format', [...base, '--root', `safetynet=${MICROSOFT_TPM_ROOT}`], /<format>=<pem file>/],
    ['a --root file that does not read', [...base, '--root', 'tpm=/nonexistent/root.pem'], /--root tpm.*nonexistent/],
    ['a --root file without certificates', [...base, '--root', `tpm=${path}`], /--root tpm/],
    ['--mds that does not exist', [...base, '--mds', '/nonexistent/metadata'], /--mds \/nonexistent/],
    ['--mds-root without a BLOB', [...base, '--mds-root', MICROSOFT_TPM_ROOT], /apply to a BLOB/],
    ['two BLOBs', [...base, '--mds', REAL_BLOB, '--mds', FAKE_BLOB], /at most one BLOB/],
    ['--revocation-list with --no-revocation', [...base, '--no-revocation', '--revocation-list', path], /contradicts/],
    ['an unreadable --revocation-list', [...base, '--revocation-list', '/nonexistent/list.json'], /status list/],
    [
      'a response file that does not exist',
      ['/nonexistent/registration.json', ...flags, '--challenge', challenge],
      /cannot read/,
    ],
  ])('%s', async (_, args, message) => {
    const result = await run(args as string[]);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(message as RegExp);
  });

  it('a response file that is not JSON', async () => {
    const result = await run([file('broken.json', '{"id": '), ...flags, '--challenge', challenge]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/broken\.json is not valid JSON/);
  });
});
