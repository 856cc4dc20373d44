import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { EMULATED_KEY_PURPOSE, parseEmulatedKeyClientData } from './emulated-key.js';
import { ecPoint } from '../../crypto/keys.js';
import { SimulatedAppleDevice } from '../../simulator/apple/device.js';
import { AppleTestAuthority } from '../../simulator/apple/test-authority.js';
import { expectRejection } from '../../../test/helpers/outcome.js';
import { trustingVerifier } from '../../../test/helpers/apple.js';

const APP_ID = 'ABCDE12345.at.asitplus.warden.demo';
const challenge = randomBytes(32);
const secureEnclaveKey = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey;
const point = ecPoint(secureEnclaveKey).toString('base64url');

const clientData = (fields: Record<string, unknown>) => Buffer.from(JSON.stringify(fields), 'utf8');
const genuine = { purpose: EMULATED_KEY_PURPOSE, publicKey: point, challenge: challenge.toString('base64url') };

describe("Warden's emulated key attestation clientData", () => {
  it('binds the Secure Enclave key through an App Attest attestation', async () => {
    const authority = await AppleTestAuthority.create();
    const device = await SimulatedAppleDevice.create(authority, { appId: APP_ID });
    const at = Date.parse('2026-05-01T08:00:00Z');
    const data = clientData(genuine);
    const attested = trustingVerifier(authority, { appIds: [APP_ID], environment: 'development' }).verify({
      attestation: await device.attest(data, { at }),
      clientData: data,
      at,
    });
    expect(attested.facts.keyId).toBe(device.keyId.toString('base64'));
    const bound = parseEmulatedKeyClientData(data, challenge);
    expect(bound.publicKey.equals(secureEnclaveKey)).toBe(true);
    expect(bound.jwk).toEqual(secureEnclaveKey.export({ format: 'jwk' }));
    expect(bound.point.toString('base64url')).toBe(point);
  });

  it('rejects missing and extra fields and non-string values', () => {
    const { challenge: _, ...missing } = genuine;
    for (const fields of [missing, { ...genuine, extra: 'x' }, { ...genuine, challenge: 5 }, [genuine]]) {
      expectRejection(
        () => parseEmulatedKeyClientData(clientData(fields as Record<string, unknown>), challenge),
        'CONTENT',
        'CLIENT_DATA_MALFORMED',
      );
    }
    expectRejection(
      () => parseEmulatedKeyClientData(Buffer.from([0xff, 0xfe]), challenge),
      'CONTENT',
      'CLIENT_DATA_MALFORMED',
    );
    expectRejection(
      () => parseEmulatedKeyClientData(Buffer.from('{"purpose":'), challenge),
      'CONTENT',
      'CLIENT_DATA_MALFORMED',
    );
  });

  it('rejects a duplicate key, plain or escaped, whichever value comes last', () => {
    const otherPoint = ecPoint(generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey).toString('base64url');
    const withDuplicate = (key: string) =>
      Buffer.from(`${JSON.stringify(genuine).slice(0, -1)},${key}:${JSON.stringify(otherPoint)}}`, 'utf8');
    expectRejection(
      () => parseEmulatedKeyClientData(withDuplicate('"publicKey"'), challenge),
      'CONTENT',
      'CLIENT_DATA_MALFORMED',
    );
    expectRejection(
      () => parseEmulatedKeyClientData(withDuplicate('"\\u0070ublicKey"'), challenge),
      'CONTENT',
      'CLIENT_DATA_MALFORMED',
    );
    const first = Buffer.from(`{"publicKey":${JSON.stringify(otherPoint)},${JSON.stringify(genuine).slice(1)}`, 'utf8');
    expectRejection(() => parseEmulatedKeyClientData(first, challenge), 'CONTENT', 'CLIENT_DATA_MALFORMED');
  });

  it('rejects another purpose', () => {
    expectRejection(
      () => parseEmulatedKeyClientData(clientData({ ...genuine, purpose: 'ios app-attest: other key' }), challenge),
      'CONTENT',
      'CLIENT_DATA_PURPOSE_MISMATCH',
    );
  });

  it('rejects a point that is not an uncompressed P-256 point on the curve', () => {
    const raw = Buffer.from(point, 'base64url');
    const offCurve = Buffer.from(raw);
    offCurve[64]! ^= 0x01;
    const compressed = Buffer.concat([Buffer.of(2 + (raw[64]! & 1)), raw.subarray(1, 33)]);
    for (const bad of [offCurve, compressed, raw.subarray(0, 64)]) {
      expectRejection(
        () => parseEmulatedKeyClientData(clientData({ ...genuine, publicKey: bad.toString('base64url') }), challenge),
        'CONTENT',
        'CLIENT_DATA_KEY_INVALID',
      );
    }
    expectRejection(
      () => parseEmulatedKeyClientData(clientData({ ...genuine, publicKey: raw.toString('base64') }), challenge),
      'CONTENT',
      'CLIENT_DATA_MALFORMED',
    );
  });

  it('rejects another challenge, and a challenge not in unpadded base64url', () => {
    expectRejection(
      () =>
        parseEmulatedKeyClientData(
          clientData({ ...genuine, challenge: randomBytes(32).toString('base64url') }),
          challenge,
        ),
      'CONTENT',
      'CLIENT_DATA_CHALLENGE_MISMATCH',
    );
    expectRejection(
      () => parseEmulatedKeyClientData(clientData({ ...genuine, challenge: `${genuine.challenge}=` }), challenge),
      'CONTENT',
      'CLIENT_DATA_MALFORMED',
    );
  });
});
