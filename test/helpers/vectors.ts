import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pemCertificates } from '../../src/crypto/x509/certificate.js';

/** test/vectors: real captured data (sources and licences in test/vectors/README.md). */
export const VECTORS = fileURLToPath(new URL('../vectors/', import.meta.url));
export const vectorPath = (path: string) => join(VECTORS, path);
export const readVector = (path: string) => readFileSync(vectorPath(path), 'utf8');

export interface AndroidVector {
  /** e.g. "akita/sdk34/TEE_EC_NONE" */
  name: string;
  chain: Buffer[];
  /** Google's own decoding of the leaf's KeyDescription (comment lines stripped). */
  decoded: any;
  challenge: Buffer;
  /** creationDateTime, epoch ms */
  createdAt: number;
}

const TESTDATA = vectorPath('android/keyattestation/testdata');

function walk(directory: string): string[] {
  return readdirSync(directory).flatMap((entry) => {
    const path = join(directory, entry);
    return statSync(path).isDirectory() ? walk(path) : [path];
  });
}

/** Every device chain under keyattestation/testdata that has Google's .json decoding beside it. */
export function androidVectors(): AndroidVector[] {
  return walk(TESTDATA)
    .filter((path) => path.endsWith('.pem') && existsSync(path.replace(/\.pem$/, '.json')))
    .sort()
    .map((path) => {
      const decoded = JSON.parse(readFileSync(path.replace(/\.pem$/, '.json'), 'utf8').replace(/^\s*\/\/.*$/gm, ''));
      const created = decoded.softwareEnforced?.creationDateTime ?? decoded.hardwareEnforced?.creationDateTime;
      return {
        name: relative(TESTDATA, path).replace(/\.pem$/, ''),
        chain: pemCertificates(readFileSync(path, 'utf8')),
        decoded,
        challenge: Buffer.from(decoded.attestationChallenge, 'base64'),
        createdAt: Number(created),
      };
    });
}

export const androidChain = (path: string) => pemCertificates(readVector(path));
