import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { certificatePem, type ParsedCertificate } from '../../src/crypto/x509/certificate.js';
import { buildCrl, extensions } from '../../src/crypto/x509/certificate-builder.js';
import { testPki, type Authority } from '../helpers/test-pki.js';

const DAY = 86_400_000;

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
    const { certify, authority } = testPki({
      organization: 'Keyward metadata service tests',
      notBefore: at - 365 * DAY,
      notAfter: at + 3 * 365 * DAY,
    });
    this.root = authority('Test MDS Root');
    this.intermediate = authority('Test MDS Intermediate', this.root, [
      extensions.crlDistributionPoints(`${crlBase}/root.crl`),
    ]);
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    this.signerKey = privateKey;
    this.signer = certify('Test MDS BLOB signer', publicKey, this.intermediate.signer, undefined, false, [
      extensions.crlDistributionPoints(`${crlBase}/intermediate.crl`),
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
