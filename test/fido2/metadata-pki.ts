import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as der from '../../src/crypto/asn1/der-writer.js';
import { spkiOf } from '../../src/crypto/keys.js';
import { certificatePem, parseCertificate, type ParsedCertificate } from '../../src/crypto/x509/certificate.js';
import {
  buildCertificate,
  buildCrl,
  encodeName,
  extensions,
  keyIdentifier,
  randomSerial,
  type Extension,
  type Signer,
} from '../../src/crypto/x509/certificate-builder.js';
import { NAME_OIDS } from '../../src/crypto/x509/names.js';

const DAY = 86_400_000;

/** cRLDistributionPoints naming one URL (fullName uniformResourceIdentifier). */
const distributionPoint = (url: string): Extension => ({
  oid: '2.5.29.31',
  critical: false,
  value: der.sequence(
    der.sequence(der.explicit(0, der.element(2, true, 0, der.element(2, false, 6, Buffer.from(url, 'latin1'))))),
  ),
});

interface Authority {
  certificate: ParsedCertificate;
  signer: Signer;
}

function certify(
  name: string,
  publicKey: KeyObject,
  issuer: Signer | undefined,
  ownKey: KeyObject | undefined,
  ca: boolean,
  at: number,
  extra: Extension[],
): ParsedCertificate {
  const spki = spkiOf(publicKey);
  const subjectDer = encodeName([
    [NAME_OIDS.O, 'Keyward metadata service tests'],
    [NAME_OIDS.CN, name],
  ]);
  const signer = issuer ?? { key: ownKey!, subjectDer, keyIdentifier: keyIdentifier(spki) };
  return parseCertificate(
    buildCertificate(
      {
        serial: randomSerial(),
        subjectDer,
        spki,
        notBefore: at - 365 * DAY,
        notAfter: at + 3 * 365 * DAY,
        extensions: [
          extensions.basicConstraints(ca),
          ca ? extensions.keyUsage(5, 6) : extensions.keyUsage(0),
          extensions.subjectKeyIdentifier(keyIdentifier(spki)),
          ...extra,
        ],
      },
      signer,
    ),
    'MALFORMED_CERTIFICATE',
    { cache: false },
  );
}

function authority(name: string, at: number, issuer?: Authority, extra: Extension[] = []): Authority {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const certificate = certify(name, publicKey, issuer?.signer, privateKey, true, at, extra);
  return {
    certificate,
    signer: { key: privateKey, subjectDer: certificate.subjectDer, keyIdentifier: keyIdentifier(certificate.spki) },
  };
}

/** An MDS entry for `aaguid` whose statement names `root` as its attestation root. */
export function mdsEntry(aaguid: string, description: string, root: ParsedCertificate, status = 'FIDO_CERTIFIED_L1') {
  return {
    aaguid,
    metadataStatement: {
      aaguid,
      description,
      attestationTypes: ['basic_full'],
      attestationRootCertificates: [root.der.toString('base64')],
    },
    statusReports: [{ status, effectiveDate: '2020-01-01' }],
    timeOfLastStatusChange: '2020-01-01',
  };
}

/** A bare metadata statement, as an operator puts one in the local folder. */
export function localStatement(aaguid: string, description: string, root: ParsedCertificate) {
  return {
    aaguid,
    description,
    attestationTypes: ['basic_full'],
    attestationRootCertificates: [root.der.toString('base64')],
  };
}

/**
 * A metadata PKI of its own: root → intermediate → BLOB signer, each below the root naming its
 * issuer's CRL at `crlBase` (root.crl for the intermediate, intermediate.crl for the signer).
 */
export class MetadataPki {
  readonly root: Authority;
  readonly intermediate: Authority;
  readonly signerKey: KeyObject;
  readonly signer: ParsedCertificate;

  constructor(
    readonly crlBase: string,
    readonly at: number,
  ) {
    this.root = authority('Test MDS Root', at);
    this.intermediate = authority('Test MDS Intermediate', at, this.root, [distributionPoint(`${crlBase}/root.crl`)]);
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    this.signerKey = privateKey;
    this.signer = certify('Test MDS BLOB signer', publicKey, this.intermediate.signer, undefined, false, at, [
      distributionPoint(`${crlBase}/intermediate.crl`),
    ]);
  }

  get rootPem(): string {
    return certificatePem(this.root.certificate.der);
  }

  /** A BLOB (ES256 JWS with x5c [signer, intermediate]). */
  blob(payload: { no: number; nextUpdate: string; entries: unknown[] }): string {
    const header = {
      alg: 'ES256',
      typ: 'JWT',
      x5c: [this.signer.der.toString('base64'), this.intermediate.certificate.der.toString('base64')],
    };
    const input = `${encode(header)}.${encode({ legalHeader: 'Test BLOB', ...payload })}`;
    const signature = sign('sha256', Buffer.from(input), { key: this.signerKey, dsaEncoding: 'ieee-p1363' });
    return `${input}.${signature.toString('base64url')}`;
  }

  /** The root's CRL (revoking the intermediate when asked). */
  rootCrl(revokeIntermediate = false): Buffer {
    return buildCrl(
      revokeIntermediate
        ? [{ serial: this.intermediate.certificate.serial, revokedAt: this.at - DAY, reason: 'keyCompromise' }]
        : [],
      this.root.signer,
      { thisUpdate: this.at - DAY, nextUpdate: this.at + 30 * DAY, number: 1n },
    );
  }

  /** The intermediate's CRL (revoking nothing). */
  intermediateCrl(): Buffer {
    return buildCrl([], this.intermediate.signer, {
      thisUpdate: this.at - DAY,
      nextUpdate: this.at + 30 * DAY,
      number: 1n,
    });
  }
}

const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** YYYY-MM-DD `days` after `at`. */
export const dateAfter = (at: number, days: number) => new Date(at + days * DAY).toISOString().slice(0, 10);

export interface Route {
  status: number;
  body: string | Uint8Array;
}

/** A plain HTTP server on 127.0.0.1 answering GETs from a mutable routing table (404 otherwise), counting requests by path. */
export class FakeMetadataServer {
  readonly routes = new Map<string, Route>();
  readonly hits = new Map<string, number>();
  private server: Server | undefined;
  url = '';

  async start(): Promise<this> {
    this.server = createServer((request, response) => {
      const path = request.url ?? '/';
      this.hits.set(path, (this.hits.get(path) ?? 0) + 1);
      const route = this.routes.get(path);
      response.writeHead(route?.status ?? 404, { 'content-type': 'application/octet-stream' });
      response.end(route?.body ?? '');
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  serve(path: string, body: string | Uint8Array, status = 200): void {
    this.routes.set(path, { status, body });
  }

  hitsOf(path: string): number {
    return this.hits.get(path) ?? 0;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
