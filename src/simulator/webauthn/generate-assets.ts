import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { assetPath } from '../../assets.js';
import { importKeys, selfSignedAuthority, toDer, type CertificateAuthority } from '../certificates.js';
import { metadataStatement } from './metadata-statements.js';
import { SIMULATED_MODELS, type SimulatedModel } from './models.js';
import { APPLE_ROOT_SUBJECT, CA_VALIDITY, issueU2fAttestation, ROOT_SUBJECT } from './test-authority.js';

const KEY_NOTICE =
  'TEST ONLY: a Keyward simulator private key, published on purpose so anyone can make attestations with it.\n' +
  'Never trust its certificate outside tests and demos (see README.md).\n';

/**
 * Writes the WebAuthn simulator's committed assets into `directory` (assets/simulator): the
 * WebAuthn and Apple WebAuthn test roots and the U2F attestation certificate, each with its
 * private key, and webauthn-metadata/<model>.json. Existing keys are kept unless `newKeys`
 * (new keys change the metadata statements' roots and the U2F key identifier); the metadata
 * statements are always rewritten from the roots on disk. Returns the files written.
 */
export async function generateWebAuthnAssets(options: { directory: string; newKeys?: boolean }): Promise<string[]> {
  const { directory } = options;
  const written: string[] = [];
  const write = (name: string, content: string) => {
    writeFileSync(join(directory, name), content);
    written.push(name);
  };
  const save = async (name: string, authority: CertificateAuthority) => {
    const pkcs8 = await webcrypto.subtle.exportKey('pkcs8', authority.keys.privateKey);
    write(`${name}.pem`, `${authority.certificate.toString('pem')}\n`);
    write(`${name}.key.pem`, `${KEY_NOTICE}${x509.PemConverter.encode(pkcs8, 'PRIVATE KEY')}\n`);
  };
  const load = async (name: string): Promise<CertificateAuthority | undefined> => {
    const path = join(directory, `${name}.pem`);
    if (options.newKeys || !existsSync(path)) return undefined;
    const certificate = new x509.X509Certificate(readFileSync(path, 'utf8'));
    return {
      certificate,
      keys: await importKeys(readFileSync(join(directory, `${name}.key.pem`), 'utf8'), certificate),
    };
  };

  let root = await load('webauthn-root');
  const rootIsNew = !root;
  if (!root) await save('webauthn-root', (root = await selfSignedAuthority(ROOT_SUBJECT, 'EC-P384', CA_VALIDITY)));
  let appleRoot = await load('webauthn-apple-root');
  if (!appleRoot)
    await save(
      'webauthn-apple-root',
      (appleRoot = await selfSignedAuthority(APPLE_ROOT_SUBJECT, 'EC-P384', CA_VALIDITY)),
    );
  let u2f = rootIsNew ? undefined : await load('webauthn-u2f-attestation');
  if (!u2f) await save('webauthn-u2f-attestation', (u2f = await issueU2fAttestation(root)));

  const android = new x509.X509Certificate(readFileSync(join(directory, 'android-root.pem'), 'utf8'));
  const roots = {
    webauthn: toDer(root.certificate),
    apple: toDer(appleRoot.certificate),
    android: toDer(android),
    u2fCertificate: toDer(u2f.certificate),
  };
  mkdirSync(join(directory, 'webauthn-metadata'), { recursive: true });
  for (const model of Object.keys(SIMULATED_MODELS) as SimulatedModel[])
    write(`webauthn-metadata/${model}.json`, `${JSON.stringify(metadataStatement(model, roots), null, 2)}\n`);
  return written;
}

// npm run build && node dist/src/simulator/webauthn/generate-assets.js [--new-keys] [--out <assets/simulator>]
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const args = process.argv.slice(2);
  const out = args.indexOf('--out');
  const directory = out >= 0 ? args[out + 1]! : assetPath('simulator');
  const written = await generateWebAuthnAssets({ directory, newKeys: args.includes('--new-keys') });
  process.stdout.write(`${written.map((name) => join(directory, name)).join('\n')}\n`);
}
