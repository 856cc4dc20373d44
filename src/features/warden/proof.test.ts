import { execFileSync } from 'node:child_process';
import { generateKeyPairSync, verify } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import * as der from '../../crypto/asn1/der-writer.js';
import { encodeName } from '../../crypto/x509/certificate-builder.js';
import { csrDer, parseCsr } from '../../crypto/x509/csr.js';
import { spkiOf } from '../../crypto/keys.js';
import { checkAttributes, deviceNameOf, nonceOf, statementOf } from './proof.js';
import { certificationRequestInfo, signedCsr, type CsrAttributeSpec } from '../../simulator/csr-builder.js';
import { rejection } from '../../../test/helpers/outcome.js';

const PROOF_OID = '1.3.6.1.4.1.61200.2.1.2';
const NAME_OID = '1.3.6.1.4.1.61200.2.1.1';
const key = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const NONCE = 'A1B2C3D4E5F60718';
const work = mkdtempSync(join(tmpdir(), 'keyward-csr-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function csr(options: { subject?: [string, string][]; attributes?: CsrAttributeSpec[] } = {}) {
  const subject = options.subject ?? [
    ['2.5.4.3', 'device'],
    ['2.5.4.5', NONCE],
  ];
  return parseCsr(
    signedCsr(certificationRequestInfo(subject, spkiOf(key.publicKey), options.attributes ?? []), key.privateKey),
  );
}

const proof = (statement: unknown, values?: Buffer[]): CsrAttributeSpec => ({
  oid: PROOF_OID,
  values: values ?? [der.utf8String(typeof statement === 'string' ? statement : JSON.stringify(statement))],
});
const statementError = (attribute: CsrAttributeSpec) =>
  rejection(() => statementOf(csr({ attributes: [attribute] }), PROOF_OID, 10));

describe('certification requests', () => {
  it('reads a request made by openssl: subject, key, attributes and the exact signed bytes', () => {
    writeFileSync(join(work, 'key.pem'), key.privateKey.export({ type: 'pkcs8', format: 'pem' }));
    writeFileSync(
      join(work, 'req.cnf'),
      '[req]\ndistinguished_name=dn\nattributes=attrs\nprompt=no\n[dn]\nCN=openssl device\nserialNumber=A1B2C3D4\n[attrs]\nchallengePassword=letmein1\n',
    );
    execFileSync('openssl', [
      'req',
      '-new',
      '-key',
      join(work, 'key.pem'),
      '-config',
      join(work, 'req.cnf'),
      '-outform',
      'DER',
      '-out',
      join(work, 'req.der'),
    ]);
    const body = readFileSync(join(work, 'req.der'));
    const parsed = parseCsr(body);
    expect(parsed.subject).toBe('CN=openssl device, serialNumber=A1B2C3D4');
    expect(Buffer.from(parsed.spki).equals(key.publicKey.export({ type: 'spki', format: 'der' }))).toBe(true);
    expect(parsed.attributes.map((attribute) => attribute.type)).toEqual(['1.2.840.113549.1.9.7']);
    expect(Buffer.from(parsed.attributes[0]!.values[0]!.content).toString()).toBe('letmein1');
    expect(parsed.signature?.algorithm).toBe('1.2.840.10045.4.3.2');
    expect(verify('sha256', parsed.info, { key: key.publicKey, dsaEncoding: 'der' }, parsed.signature!.value)).toBe(
      true,
    );
    expect(nonceOf(parsed).toString('hex')).toBe('a1b2c3d4');

    const pem = execFileSync('openssl', ['req', '-inform', 'DER', '-in', join(work, 'req.der')]);
    expect(Buffer.from(csrDer(pem)).equals(body)).toBe(true);
  });

  it('refuses malformed DER and PEM with MALFORMED_CSR', () => {
    const body = signedCsr(certificationRequestInfo([['2.5.4.5', NONCE]], spkiOf(key.publicKey), []), key.privateKey);
    for (const bad of [
      body.subarray(0, body.length - 1),
      Buffer.concat([body, Buffer.of(0)]),
      Buffer.from('not a request'),
      Buffer.alloc(0),
    ]) {
      expect(rejection(() => parseCsr(csrDer(bad)))).toMatchObject({ category: 'CONTENT', code: 'MALFORMED_CSR' });
    }
    const pem = Buffer.from(
      `-----BEGIN CERTIFICATE REQUEST-----\n${body.toString('base64')}\n-----END CERTIFICATE-----\n`,
    );
    expect(rejection(() => csrDer(pem))).toMatchObject({ code: 'MALFORMED_CSR' });
    const version2 = der.sequence(
      der.integer(1),
      encodeName([['2.5.4.5', NONCE]]),
      spkiOf(key.publicKey),
      der.element(2, true, 0, Buffer.alloc(0)),
    );
    expect(rejection(() => parseCsr(version2))).toMatchObject({ code: 'MALFORMED_CSR' });
  });

  it('requires the nonce as one hex serialNumber, in either case', () => {
    expect(nonceOf(csr({ subject: [['2.5.4.5', NONCE.toLowerCase()]] }))).toEqual(Buffer.from(NONCE, 'hex'));
    expect(nonceOf(csr({ subject: [['2.5.4.5', 'aBcD0123']] }))).toEqual(Buffer.from('abcd0123', 'hex'));
    expect(rejection(() => nonceOf(csr({ subject: [['2.5.4.3', 'x']] })))).toMatchObject({ code: 'NONCE_MISSING' });
    expect(
      rejection(() =>
        nonceOf(
          csr({
            subject: [
              ['2.5.4.5', NONCE],
              ['2.5.4.5', NONCE],
            ],
          }),
        ),
      ),
    ).toMatchObject({ code: 'NONCE_MISSING' });
    expect(rejection(() => nonceOf(csr({ subject: [['2.5.4.5', `${NONCE}G0`]] })))).toMatchObject({
      code: 'NONCE_MALFORMED',
    });
    expect(rejection(() => nonceOf(csr({ subject: [['2.5.4.5', 'ABC']] })))).toMatchObject({ code: 'NONCE_MALFORMED' });
  });

  it('refuses duplicated attributes and attributes out of DER order', () => {
    const name: CsrAttributeSpec = { oid: NAME_OID, values: [der.utf8String('x')] };
    expect(rejection(() => checkAttributes(csr({ attributes: [name, name] })))).toMatchObject({
      code: 'DUPLICATE_ATTRIBUTE',
    });
    const attributes = [proof({ typ: 'android-key', x5c: ['AA'] }), name]
      .map((attribute) => der.sequence(der.oid(attribute.oid), der.setOf(...attribute.values)))
      .sort((a, b) => Buffer.compare(b, a));
    const info = der.sequence(
      der.integer(0),
      encodeName([['2.5.4.5', NONCE]]),
      spkiOf(key.publicKey),
      der.element(2, true, 0, Buffer.concat(attributes)),
    );
    expect(rejection(() => checkAttributes(parseCsr(signedCsr(info, key.privateKey))))).toMatchObject({
      code: 'MALFORMED_CSR',
    });
  });
});

describe('the attestation statement', () => {
  it('reads both statement types', () => {
    const android = statementOf(
      csr({ attributes: [proof({ typ: 'android-key', x5c: ['AQID', 'BAU'] })] }),
      PROOF_OID,
      10,
    );
    expect(android).toEqual({ typ: 'android-key', x5c: [Buffer.of(1, 2, 3), Buffer.of(4, 5)] });
    const ios = statementOf(
      csr({ attributes: [proof({ typ: 'ios-appattest', attestation: 'AQ==', clientDataJSON: 'e30' })] }),
      PROOF_OID,
      10,
    );
    expect(ios).toEqual({ typ: 'ios-appattest', attestation: Buffer.of(1), clientDataJSON: Buffer.from('{}') });
  });

  it('is strict: exact keys, known typ, base64url, bounded chains, one UTF8String, bounded nesting', () => {
    expect(rejection(() => statementOf(csr(), PROOF_OID, 10))).toMatchObject({
      category: 'CONTENT',
      code: 'PROOF_MISSING',
    });
    expect(statementError(proof({ typ: 'android-key', x5c: ['AQID'], extra: 1 }))).toMatchObject({
      code: 'STATEMENT_MALFORMED',
    });
    expect(statementError(proof({ typ: 'ios-appattest', attestation: 'AQ' }))).toMatchObject({
      code: 'STATEMENT_MALFORMED',
    });
    expect(statementError(proof({ typ: 'tpm', x5c: [] }))).toMatchObject({ code: 'UNSUPPORTED_STATEMENT' });
    expect(statementError(proof({ typ: 'android-key', x5c: ['AQ+D'] }))).toMatchObject({ code: 'STATEMENT_MALFORMED' });
    expect(statementError(proof({ typ: 'android-key', x5c: [] }))).toMatchObject({ code: 'STATEMENT_MALFORMED' });
    expect(statementError(proof({ typ: 'android-key', x5c: Array(11).fill('AQ') }))).toMatchObject({
      code: 'STATEMENT_MALFORMED',
    });
    expect(statementError(proof('[1,2]'))).toMatchObject({ code: 'STATEMENT_MALFORMED' });
    expect(statementError(proof('{"typ": "android-key",'))).toMatchObject({ code: 'STATEMENT_MALFORMED' });
    expect(statementError(proof(`{"typ":"android-key","x5c":${'['.repeat(100_000)}`))).toMatchObject({
      code: 'STATEMENT_MALFORMED',
    });
    expect(statementError(proof(null, [der.printableString('{}')]))).toMatchObject({ code: 'PROOF_MALFORMED' });
    expect(statementError(proof(null, [der.utf8String('{}'), der.utf8String('[]')]))).toMatchObject({
      code: 'PROOF_MALFORMED',
    });
  });

  it('refuses a statement with a duplicate key, at any depth and however escaped', () => {
    const duplicate = statementError(proof('{"typ":"android-key","x5c":["AQID"],"x5c":["BAU"]}'));
    expect(duplicate).toMatchObject({
      category: 'CONTENT',
      code: 'STATEMENT_MALFORMED',
      detail: 'duplicate key "x5c"',
    });
    expect(
      statementError(
        proof('{"typ":"ios-appattest","attestation":"AQ","clientDataJSON":"e30","\\u0074yp":"android-key"}'),
      ),
    ).toMatchObject({ code: 'STATEMENT_MALFORMED', detail: 'duplicate key "typ"' });
    expect(statementError(proof('{"typ":"android-key","x5c":[{"a":1,"a":2}]}'))).toMatchObject({
      code: 'STATEMENT_MALFORMED',
      detail: 'duplicate key "a"',
    });
  });

  it('takes the device name from its attribute when configured, and refuses control characters', () => {
    const named = csr({ attributes: [{ oid: NAME_OID, values: [der.utf8String('Ada’s Pixel')] }] });
    expect(deviceNameOf(named, NAME_OID)).toBe('Ada’s Pixel');
    expect(deviceNameOf(named, '')).toBeUndefined();
    expect(deviceNameOf(csr(), NAME_OID)).toBeUndefined();
    expect(
      rejection(() =>
        deviceNameOf(csr({ attributes: [{ oid: NAME_OID, values: [der.utf8String('a\u0000b')] }] }), NAME_OID),
      ),
    ).toMatchObject({ code: 'DEVICE_NAME_MALFORMED' });
  });
});
