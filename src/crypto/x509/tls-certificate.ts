import { generateKeyPairSync } from 'node:crypto';
import { isIP } from 'node:net';
import * as der from '../asn1/der-writer.js';
import {
  buildCertificate,
  encodeName,
  type Extension,
  extensions,
  keyIdentifier,
  randomSerial,
} from './certificate-builder.js';
import { certificatePem } from './certificate.js';

const DAY = 86_400_000;
const SERVER_AUTH = '1.3.6.1.5.5.7.3.1';

/** A v4 or v6 address as the 4 or 16 bytes an iPAddress general name holds. */
function addressBytes(address: string): Buffer {
  if (isIP(address) === 4) return Buffer.from(address.split('.').map(Number));
  const [head = '', tail = ''] = address.split('::');
  const groups = (part: string) => (part ? part.split(':') : []);
  const missing = 8 - groups(head).length - groups(tail).length;
  const all = address.includes('::')
    ? [...groups(head), ...Array<string>(missing).fill('0'), ...groups(tail)]
    : groups(address);
  return Buffer.concat(all.map((group) => Buffer.from(group.padStart(4, '0'), 'hex')));
}

/** subjectAltName with dNSName [2] and iPAddress [7] entries. */
function subjectAltName(names: readonly string[]): Extension {
  return {
    oid: '2.5.29.17',
    critical: false,
    value: der.sequence(
      ...names.map((name) =>
        isIP(name)
          ? der.element(2, false, 7, addressBytes(name))
          : der.element(2, false, 2, Buffer.from(name, 'ascii')),
      ),
    ),
  };
}

/**
 * A self-signed EC P-256 TLS server certificate for `names` (DNS names and IP addresses), valid
 * from `at` for `validityDays`: what Keyward's TLS listener uses in development when no
 * certificate is configured. PEM certificate and PKCS#8 key.
 */
export function generateDevelopmentTlsCertificate(
  at: number,
  names: readonly string[],
  validityDays = 825,
): { certificate: string; key: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const spki = publicKey.export({ format: 'der', type: 'spki' });
  const subjectDer = encodeName([['2.5.4.3', `Keyward development TLS (${names[0] ?? 'localhost'})`]]);
  const notBefore = Math.floor(at / 1000) * 1000 - DAY;
  const certificate = buildCertificate(
    {
      serial: randomSerial(16),
      subjectDer,
      spki,
      notBefore,
      notAfter: notBefore + validityDays * DAY,
      extensions: [
        extensions.basicConstraints(false),
        extensions.keyUsage(0),
        extensions.extendedKeyUsage(SERVER_AUTH),
        extensions.subjectKeyIdentifier(keyIdentifier(spki)),
        subjectAltName(names),
      ],
    },
    { key: privateKey, subjectDer, keyIdentifier: keyIdentifier(spki) },
  );
  return {
    certificate: certificatePem(certificate),
    key: privateKey.export({ format: 'pem', type: 'pkcs8' }) as string,
  };
}
