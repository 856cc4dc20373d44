import { readdirSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
import { readVector, vectorPath } from './vectors.js';

/**
 * The App Attest vectors of test/vectors/ios (sources in test/vectors/README.md; licences beside them):
 * devicecheck-appattest (Apache-2.0) and node-app-attest (MIT).
 */
export const DEVICECHECK_APP_ID = '6MURL8TA57.de.vincent-haupert.apple-appattest-poc';
export const NODE_APP_ATTEST_APP_ID = 'V8H6LQ9448.io.uebelacker.AppAttestExample';

const b64 = (text: string) => Buffer.from(text, 'base64');

export interface ReceiptVector {
  receipt: Buffer;
  timestamp: number;
  type: 'ATTEST' | 'RECEIPT';
  riskMetric: number | null;
}

export interface DevicecheckVector {
  name: string;
  attestation: Buffer;
  keyId: Buffer;
  clientData: Buffer;
  /** When the source recorded the attestation. */
  timestamp: number;
  iOSVersion: string;
  publicKeyPem: string;
  assertion: { assertion: Buffer; clientData: Buffer; counter: number; timestamp: number };
  receipts: ReceiptVector[];
}

export function devicecheckVectors(): DevicecheckVector[] {
  const folder = 'ios/devicecheck-appattest';
  return readdirSync(vectorPath(folder))
    .filter((file) => file.endsWith('.yaml'))
    .sort()
    .map((file) => {
      const documents = parseAllDocuments(readVector(`${folder}/${file}`)).map(
        (document) => document.toJS() as Record<string, any>,
      );
      const attestation = documents.find((document) => document.type === 'attestation')!;
      const assertion = documents.find((document) => document.type === 'assertion')!;
      return {
        name: file.replace(/\.yaml$/, ''),
        attestation: b64(attestation.attestationBase64),
        keyId: b64(attestation.keyIdBase64),
        clientData: b64(attestation.clientDataBase64),
        timestamp: Date.parse(attestation.timestamp),
        iOSVersion: String(attestation.iOSVersion),
        publicKeyPem: attestation.publicKey,
        assertion: {
          assertion: b64(assertion.assertionBase64),
          clientData: b64(assertion.clientDataBase64),
          counter: assertion.counter,
          timestamp: Date.parse(assertion.timestamp),
        },
        receipts: documents
          .filter((document) => document.type === 'receipt')
          .map((document) => ({
            receipt: b64(document.receiptBase64),
            timestamp: Date.parse(document.timestamp),
            type: document.properties.type,
            riskMetric: document.properties.riskMetric ?? null,
          })),
      };
    });
}

export interface NodeAppAttestVector {
  name: 'development' | 'production';
  attestation: Buffer;
  keyId: Buffer;
  clientData: Buffer;
}

export function nodeAppAttestVectors(): NodeAppAttestVector[] {
  return (['development', 'production'] as const).map((name) => {
    const json = JSON.parse(readVector(`ios/node-app-attest/attestation-${name}.json`));
    return { name, attestation: b64(json.attestation), keyId: b64(json.keyId), clientData: b64(json.challenge) };
  });
}

export function nodeAppAttestAssertion(): {
  assertion: Buffer;
  clientData: Buffer;
  publicKeyPem: string;
  appId: string;
  counter: number;
} {
  const json = JSON.parse(readVector('ios/node-app-attest/assertion.json'));
  return {
    assertion: b64(json.assertion),
    clientData: Buffer.from(json.clientData, 'utf8'),
    publicKeyPem: json.publicKeyPem,
    appId: json.appId,
    counter: json.expectedCounter,
  };
}
