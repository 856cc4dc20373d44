import { describe, expect, it } from 'vitest';
import { expectRejection } from '../../../test/helpers/outcome.js';
import { CHALLENGE, clientDataJSON, ORIGIN, sha256 } from '../../../test/webauthn/credentials.js';
import { checkClientData, type ClientDataExpectations } from './client-data.js';

const APK_ORIGIN = 'android:apk-key-hash:lX0M-a2lqqDk7Ry9pBMrfMsa53xrvMIsyVfPIEDnxzc';
const expectGet: ClientDataExpectations = { type: 'webauthn.get', challenge: CHALLENGE, origins: [ORIGIN] };
const check = (bytes: Uint8Array, expect: Partial<ClientDataExpectations> = {}) =>
  checkClientData(bytes, { ...expectGet, ...expect });
const refused = (
  bytes: Uint8Array,
  category: 'CONTENT' | 'TRUST',
  code: string,
  expect: Partial<ClientDataExpectations> = {},
) => expectRejection(() => check(bytes, expect), category, code);
const malformed = (bytes: Uint8Array) => refused(bytes, 'CONTENT', 'CLIENT_DATA_JSON_MALFORMED');

describe('checkClientData', () => {
  it('accepts client data made for the ceremony and returns its hash', () => {
    const bytes = clientDataJSON();
    expect(check(bytes)).toEqual({
      type: 'webauthn.get',
      origin: ORIGIN,
      crossOrigin: false,
      clientDataHash: sha256(bytes),
    });
    const create = clientDataJSON({ type: 'webauthn.create', crossOrigin: undefined });
    expect(check(create, { type: 'webauthn.create' })).toEqual({
      type: 'webauthn.create',
      origin: ORIGIN,
      clientDataHash: sha256(create),
    });
  });

  it('ignores members it does not know and reports topOrigin', () => {
    const bytes = clientDataJSON({
      other_keys_can_be_added_here: 'do not compare clientDataJSON against a template',
      topOrigin: ORIGIN,
    });
    expect(check(bytes).topOrigin).toBe(ORIGIN);
  });

  it('refuses client data of the other ceremony', () => {
    refused(clientDataJSON({ type: 'webauthn.create' }), 'CONTENT', 'CLIENT_DATA_TYPE_MISMATCH');
    refused(clientDataJSON(), 'CONTENT', 'CLIENT_DATA_TYPE_MISMATCH', { type: 'webauthn.create' });
    refused(clientDataJSON({ type: 'payment.get' }), 'CONTENT', 'CLIENT_DATA_TYPE_MISMATCH');
  });

  it('refuses another challenge, a prefix of it or one byte more', () => {
    const other = Buffer.from(CHALLENGE);
    other[0]! ^= 1;
    for (const challenge of [other, CHALLENGE.subarray(0, 31), Buffer.concat([CHALLENGE, Buffer.of(0)])])
      refused(clientDataJSON({ challenge: challenge.toString('base64url') }), 'CONTENT', 'WEBAUTHN_CHALLENGE_MISMATCH');
  });

  it('reads the challenge as base64url, tolerating padding but not the standard alphabet', () => {
    const challenge = Buffer.from([0xfb, 0xff, 0xfe, 0x01]);
    expect(check(clientDataJSON({ challenge: '-__-AQ' }), { challenge }).type).toBe('webauthn.get');
    expect(check(clientDataJSON({ challenge: '-__-AQ==' }), { challenge }).type).toBe('webauthn.get');
    malformed(clientDataJSON({ challenge: '+//+AQ' }));
    malformed(clientDataJSON({ challenge: 'not base64!' }));
    // 'AQID' is [1, 2, 3]; a fifth character cannot be base64 and is not silently dropped.
    refused(clientDataJSON({ challenge: 'AQIDA' }), 'CONTENT', 'CLIENT_DATA_JSON_MALFORMED', {
      challenge: Buffer.of(1, 2, 3),
    });
  });

  it('accepts only the configured origins, exactly', () => {
    for (const origin of [
      'https://example.com/',
      'https://EXAMPLE.com',
      'https://evil.example.com',
      'http://example.com',
      'https://example.com:443',
    ])
      refused(clientDataJSON({ origin }), 'TRUST', 'ORIGIN_MISMATCH');
    expect(
      check(clientDataJSON({ origin: 'https://other.example' }), { origins: [ORIGIN, 'https://other.example'] }).origin,
    ).toBe('https://other.example');
  });

  it('accepts an Android app origin only when it is configured', () => {
    refused(clientDataJSON({ origin: APK_ORIGIN }), 'TRUST', 'ORIGIN_MISMATCH');
    expect(check(clientDataJSON({ origin: APK_ORIGIN }), { origins: [ORIGIN, APK_ORIGIN] }).origin).toBe(APK_ORIGIN);
  });

  it('refuses a cross-origin ceremony', () => {
    refused(
      clientDataJSON({ crossOrigin: true, topOrigin: 'https://framing.example' }),
      'TRUST',
      'CROSS_ORIGIN_REFUSED',
    );
    malformed(clientDataJSON({ crossOrigin: 'true' }));
  });

  it('refuses token binding in use, and a malformed tokenBinding', () => {
    refused(
      clientDataJSON({ tokenBinding: { status: 'present', id: 'AAAA' } }),
      'CONTENT',
      'TOKEN_BINDING_UNSUPPORTED',
    );
    expect(check(clientDataJSON({ tokenBinding: { status: 'supported' } })).origin).toBe(ORIGIN);
    malformed(clientDataJSON({ tokenBinding: { status: 'maybe' } }));
    malformed(clientDataJSON({ tokenBinding: 'present' }));
  });

  it('refuses repeated members, however spelled', () => {
    malformed(
      Buffer.from(
        `{"type":"webauthn.get","type":"webauthn.get","challenge":"${CHALLENGE.toString('base64url')}","origin":"${ORIGIN}"}`,
      ),
    );
    malformed(
      Buffer.from(
        `{"type":"webauthn.get","challenge":"${CHALLENGE.toString('base64url')}","origin":"https://evil.example","\\u006frigin":"${ORIGIN}"}`,
      ),
    );
  });

  it('refuses what is not a UTF-8 JSON object with string type, challenge and origin', () => {
    malformed(Buffer.of(0x7b, 0xff, 0x7d));
    malformed(Buffer.from('[]'));
    malformed(Buffer.from('null'));
    malformed(Buffer.from('{"type":'));
    malformed(new Uint8Array(0));
    malformed(clientDataJSON({ challenge: undefined }));
    malformed(clientDataJSON({ origin: ['https://example.com'] }));
    malformed(clientDataJSON({ type: undefined }));
    malformed(clientDataJSON({ topOrigin: 1 }));
  });

  it('drops a leading byte order mark, as the Encoding standard’s UTF-8 decode does, and hashes the bytes as sent', () => {
    const bytes = Buffer.concat([Buffer.of(0xef, 0xbb, 0xbf), clientDataJSON()]);
    expect(check(bytes).clientDataHash).toEqual(sha256(bytes));
  });
});
