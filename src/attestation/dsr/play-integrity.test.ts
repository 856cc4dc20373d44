import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { CompactEncrypt, CompactSign } from 'jose';
import { describe, expect, it } from 'vitest';
import {
  type PlayIntegritySigningKeys,
  playIntegrityToken,
  simulatedVerdict,
} from '../../simulator/dsr/play-integrity-token.js';
import { asyncOutcome } from '../../../test/helpers/outcome.js';
import { integrityNonceText, NONCE_SUFFIXES } from './nonce-derivations.js';
import {
  normalizeIntegrityVerdict,
  parsePlayIntegrityKeys,
  type PlayIntegrityKeys,
  verifyIntegrityVerdict,
} from './play-integrity.js';

const AT = Date.parse('2026-11-15T12:00:00Z');
const NONCE = Buffer.alloc(64, 0x5a);
const PACKAGE = 'de.gematik.dsr.android';

/** A key pair as the Play Console hands it out (base64 strings) plus the signing half the simulator keeps. */
function appKeys(): { base64: [string, string]; signing: PlayIntegritySigningKeys } {
  const decryptionKey = randomBytes(32);
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return {
    base64: [decryptionKey.toString('base64'), publicKey.export({ format: 'der', type: 'spki' }).toString('base64')],
    signing: { decryptionKey, signingKey: privateKey },
  };
}

const app = appKeys();
const keys: PlayIntegrityKeys = parsePlayIntegrityKeys(...app.base64);
const expected = { nonce: NONCE, suffix: NONCE_SUFFIXES.integrity, packageName: PACKAGE, at: AT } as const;
const verdict = (overrides: Partial<Parameters<typeof simulatedVerdict>[0]> = {}) =>
  simulatedVerdict({ nonce: NONCE, suffix: NONCE_SUFFIXES.integrity, at: AT, ...overrides });

describe('parsePlayIntegrityKeys', () => {
  it('reads the Play Console base64 (raw AES key, EC P-256 SPKI)', () => {
    expect(keys.decryptionKey).toHaveLength(32);
    expect(keys.verificationKey.asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
  });

  it('refuses other key material with a TypeError', () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ format: 'der', type: 'spki' });
    const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' }).publicKey.export({ format: 'der', type: 'spki' });
    for (const [aes, spki] of [
      [randomBytes(31).toString('base64'), app.base64[1]],
      ['not base64!', app.base64[1]],
      [app.base64[0], rsa.toString('base64')],
      [app.base64[0], p384.toString('base64')],
      [app.base64[0], randomBytes(40).toString('base64')],
      [app.base64[0], ''],
    ]) {
      expect(() => parsePlayIntegrityKeys(aes!, spki!)).toThrow(TypeError);
    }
  });
});

describe('verifyIntegrityVerdict', () => {
  it('decrypts, verifies and returns the verdict', async () => {
    const token = await playIntegrityToken(verdict(), app.signing);
    const payload = await verifyIntegrityVerdict(token, [keys], expected);
    expect(payload).toMatchObject({
      requestDetails: { requestPackageName: PACKAGE, nonce: integrityNonceText(NONCE, 'INTEGRITY') },
      appIntegrity: { appRecognitionVerdict: 'PLAY_RECOGNIZED', versionCode: '1' },
      deviceIntegrity: { deviceRecognitionVerdict: ['MEETS_DEVICE_INTEGRITY'] },
    });
    expect(normalizeIntegrityVerdict(payload)).toMatchObject({
      requestDetails: { timestampMillis: AT },
      appIntegrity: { versionCode: 1 },
    });
  });

  it('tries each configured key set (rotation) and accepts a numeric timestampMillis', async () => {
    const other = parsePlayIntegrityKeys(...appKeys().base64);
    const payload = verdict({ suffix: NONCE_SUFFIXES.playIntegrity });
    (payload.requestDetails as Record<string, unknown>).timestampMillis = AT - 60_000;
    const token = await playIntegrityToken(payload, app.signing);
    const result = await verifyIntegrityVerdict(token, [other, keys], { ...expected, suffix: '2' });
    expect(result.requestDetails).toMatchObject({ timestampMillis: AT - 60_000 });
  });

  it('refuses a verdict under another decryption key, or signed by another key', async () => {
    const stranger = appKeys();
    const foreign = await playIntegrityToken(verdict(), stranger.signing);
    expect(await asyncOutcome(verifyIntegrityVerdict(foreign, [keys], expected))).toBe(
      'TRUST DSR_INTEGRITY_UNDECRYPTABLE',
    );
    expect(await asyncOutcome(verifyIntegrityVerdict(foreign, [], expected))).toBe('TRUST DSR_INTEGRITY_UNDECRYPTABLE');
    const forged = await playIntegrityToken(verdict(), {
      decryptionKey: app.signing.decryptionKey,
      signingKey: stranger.signing.signingKey,
    });
    expect(await asyncOutcome(verifyIntegrityVerdict(forged, [keys], expected))).toBe(
      'TRUST DSR_INTEGRITY_SIGNATURE_INVALID',
    );
  });

  it('refuses a verdict for another nonce, another derivation or another spelling of it', async () => {
    const spellings = [
      integrityNonceText(randomBytes(64), 'INTEGRITY'),
      integrityNonceText(NONCE, '2'),
      integrityNonceText(NONCE, 'INTEGRITY').replace(/=+$/, ''),
    ];
    for (const nonceText of spellings) {
      const token = await playIntegrityToken(verdict({ nonceText }), app.signing);
      expect(await asyncOutcome(verifyIntegrityVerdict(token, [keys], expected))).toBe(
        'TRUST DSR_INTEGRITY_NONCE_MISMATCH',
      );
    }
  });

  it('compares requestHash when a (standard request) verdict carries no nonce', async () => {
    const payload = verdict();
    const details = payload.requestDetails as Record<string, unknown>;
    details.requestHash = details.nonce;
    delete details.nonce;
    const token = await playIntegrityToken(payload, app.signing);
    expect(await asyncOutcome(verifyIntegrityVerdict(token, [keys], expected))).toBe('accepted');
    expect(await asyncOutcome(verifyIntegrityVerdict(token, [keys], { ...expected, nonce: randomBytes(64) }))).toBe(
      'TRUST DSR_INTEGRITY_NONCE_MISMATCH',
    );
  });

  it('refuses a verdict for another package', async () => {
    const token = await playIntegrityToken(verdict({ packageName: 'com.example.other' }), app.signing);
    expect(await asyncOutcome(verifyIntegrityVerdict(token, [keys], expected))).toBe(
      'TRUST DSR_INTEGRITY_PACKAGE_MISMATCH',
    );
    const payload = verdict();
    (payload.appIntegrity as Record<string, unknown>).packageName = 'com.example.other';
    const mixed = await playIntegrityToken(payload, app.signing);
    expect(await asyncOutcome(verifyIntegrityVerdict(mixed, [keys], expected))).toBe(
      'TRUST DSR_INTEGRITY_PACKAGE_MISMATCH',
    );
  });

  it('refuses a stale verdict or one from the future', async () => {
    const token = await playIntegrityToken(verdict(), app.signing);
    expect(await asyncOutcome(verifyIntegrityVerdict(token, [keys], { ...expected, at: AT + 10 * 60_000 }))).toBe(
      'accepted',
    );
    expect(await asyncOutcome(verifyIntegrityVerdict(token, [keys], { ...expected, at: AT + 10 * 60_000 + 1 }))).toBe(
      'TIME DSR_INTEGRITY_STALE',
    );
    expect(
      await asyncOutcome(verifyIntegrityVerdict(token, [keys], { ...expected, at: AT + 60_000, maxAgeMs: 30_000 })),
    ).toBe('TIME DSR_INTEGRITY_STALE');
    expect(await asyncOutcome(verifyIntegrityVerdict(token, [keys], { ...expected, at: AT - 61_000 }))).toBe(
      'TIME DSR_INTEGRITY_STALE',
    );
  });

  it('refuses malformed tokens before trying keys, and malformed contents after', async () => {
    const good = await playIntegrityToken(verdict(), app.signing);
    const encrypt = (plaintext: string, header = { alg: 'A256KW', enc: 'A256GCM' }) =>
      new CompactEncrypt(Buffer.from(plaintext))
        .setProtectedHeader(header)
        .encrypt(header.alg === 'A128KW' ? randomBytes(16) : app.signing.decryptionKey);
    const sign = (payload: string, alg = 'ES256') =>
      new CompactSign(Buffer.from(payload))
        .setProtectedHeader({ alg })
        .sign(alg === 'HS256' ? app.signing.decryptionKey : app.signing.signingKey);
    const cases = [
      good.split('.').slice(0, 4).join('.'),
      `${good}.x`,
      `${good.slice(0, 20)}!${good.slice(21)}`,
      'x'.repeat(70_000),
      await encrypt('{}', { alg: 'A128KW', enc: 'A256GCM' }),
      await encrypt('not a jws'),
      await encrypt(await sign('not json')),
      await encrypt(await sign('[1]')),
      await encrypt(await sign('{"requestDetails":{}}')),
      await encrypt(
        await sign(
          JSON.stringify({
            requestDetails: { ...(verdict().requestDetails as object), timestampMillis: 'yesterday' },
          }),
        ),
      ),
      await encrypt(await sign(JSON.stringify(verdict()), 'HS256')),
    ];
    for (const token of cases) {
      expect(await asyncOutcome(verifyIntegrityVerdict(token, [keys], expected))).toBe(
        'CONTENT DSR_INTEGRITY_MALFORMED',
      );
    }
  });
});
