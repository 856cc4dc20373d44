import { createHash, randomBytes } from 'node:crypto';
import { Agent, request as httpsRequest } from 'node:https';
import { connect } from 'node:tls';
import { certificatePem } from '../../crypto/x509/certificate.js';
import { s256Challenge } from '../../features/dsr/pkce.js';
import type { SimulatedHealthCard } from './health-card.js';

/** What a simulated DSR device offers the client (SimulatedDsrAndroidDevice, SimulatedDsrIosDevice). */
export interface GmsDevice {
  readonly platform: 'android' | 'ios';
  readonly sub: string;
  readonly mtlsPrivateKeyPem: string;
  readonly certificatePem: string | undefined;
  registrationClaims(nonce: string, at: number): Promise<object>;
  acceptCertificate(certificate: Uint8Array | string): Buffer;
  attestationToken(nonce: string, at: number): Promise<string>;
}

export interface GmsEndpoints {
  gms: string;
  mtls: string | null;
  pep: string;
  jwks: string;
  serverCertificateSha256: string | null;
}

export interface GmsAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

/** A refused GMS request: its status and the reference error body. */
export class GmsError extends Error {
  constructor(
    readonly operation: string,
    readonly status: number,
    readonly body: { errorCode?: string; description?: string; traceId?: string } | undefined,
  ) {
    super(`${operation}: HTTP ${status} ${body?.errorCode ?? ''} ${body?.description ?? ''}`.trim());
  }
}

/** The server certificate of a TLS listener, fetched once and accepted only if its SHA-256 is `sha256` (hex). */
export function pinnedServerCertificate(url: string, sha256: string): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(
      { host: hostname.replace(/^\[|\]$/g, ''), port: Number(port), rejectUnauthorized: false },
      () => {
        const raw = socket.getPeerCertificate().raw;
        socket.end();
        const seen = createHash('sha256').update(raw).digest('hex');
        if (seen !== sha256.toLowerCase())
          reject(
            new Error(
              `the TLS listener at ${url} presents a certificate with SHA-256 ${seen}, not the announced ${sha256}`,
            ),
          );
        else resolve(certificatePem(raw));
      },
    );
    socket.once('error', reject);
  });
}

/**
 * A DSR client as the reference apps drive the GMS (RFC-01 registration, RFC-02 device
 * attestation and token over mutual TLS), for `keyward simulate dsr`, the end-to-end tests and
 * the benchmark. Plain requests use fetch; mTLS requests present the device's certificate.
 */
export class GmsClient {
  private readonly agents = new Map<GmsDevice, Agent>();

  private constructor(
    readonly endpoints: GmsEndpoints,
    /** PEM roots the TLS listener's certificate is checked against. */
    private readonly serverCa: string | undefined,
    private readonly now: () => number,
  ) {}

  /**
   * Reads /dsr/endpoints from `baseUrl`. The TLS listener's certificate is checked against `ca`
   * when given; otherwise it is pinned to the fingerprint the endpoints document announces (a
   * development server's generated certificate).
   */
  static async discover(baseUrl: string, options: { ca?: string; now?: () => number } = {}): Promise<GmsClient> {
    const response = await fetch(`${baseUrl.replace(/\/+$/, '')}/dsr/endpoints`);
    if (response.status !== 200) throw new GmsError('endpoints', response.status, undefined);
    const endpoints = (await response.json()) as GmsEndpoints;
    let serverCa = options.ca;
    if (!serverCa && endpoints.mtls && endpoints.serverCertificateSha256)
      serverCa = await pinnedServerCertificate(endpoints.mtls, endpoints.serverCertificateSha256);
    return new GmsClient(endpoints, serverCa, options.now ?? Date.now);
  }

  close(): void {
    for (const agent of this.agents.values()) agent.destroy();
    this.agents.clear();
  }

  async nonce(): Promise<string> {
    const response = await fetch(`${this.endpoints.gms}/nonce`);
    const text = await response.text();
    if (response.status !== 200) throw new GmsError('nonce', response.status, parse(text));
    return text;
  }

  /** RFC-01: a fresh nonce, the card-signed registration token, the client certificate accepted by the device. */
  async register(card: SimulatedHealthCard, device: GmsDevice): Promise<Buffer> {
    const token = card.sign(await device.registrationClaims(await this.nonce(), this.now()));
    const response = await fetch(`${this.endpoints.gms}/register-device`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token }),
    });
    const text = await response.text();
    if (response.status !== 201) throw new GmsError('register-device', response.status, parse(text));
    return device.acceptCertificate((JSON.parse(text) as { cert: string }).cert);
  }

  /** A request over mutual TLS with the device's certificate. */
  async mtls(
    device: GmsDevice,
    method: string,
    path: string,
    body?: { type: string; text: string },
  ): Promise<GmsAnswer> {
    if (!this.endpoints.mtls) throw new Error('the server runs no TLS listener (tls.enabled is false)');
    const url = new URL(`${this.endpoints.mtls}${path}`);
    return new Promise((resolve, reject) => {
      const request = httpsRequest(
        url,
        {
          method,
          agent: this.agent(device),
          headers: body ? { 'content-type': body.type, 'content-length': Buffer.byteLength(body.text) } : {},
        },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('end', () =>
            resolve({
              status: response.statusCode ?? 0,
              headers: response.headers,
              text: Buffer.concat(chunks).toString('utf8'),
            }),
          );
          response.on('error', reject);
        },
      );
      request.on('error', reject);
      request.end(body?.text);
    });
  }

  /** RFC-02 in full: nonce, attestation token, auth code, PKCE exchange; the device token. */
  async deviceToken(device: GmsDevice): Promise<string> {
    const verifier = randomBytes(32).toString('base64url');
    const code = await this.attest(
      device,
      await device.attestationToken(await this.nonce(), this.now()),
      s256Challenge(verifier),
    );
    return this.exchange(device, code, verifier);
  }

  async attest(device: GmsDevice, token: string, codeChallenge: string): Promise<string> {
    const answer = await this.mtls(device, 'POST', '/device-attestation', {
      type: 'application/json',
      text: JSON.stringify({ token, codeChallenge }),
    });
    if (answer.status !== 200) throw new GmsError('device-attestation', answer.status, parse(answer.text));
    return answer.text;
  }

  async exchange(device: GmsDevice, code: string, codeVerifier: string): Promise<string> {
    const answer = await this.mtls(device, 'POST', '/device-token', {
      type: 'application/x-www-form-urlencoded',
      text: new URLSearchParams({ code, code_verifier: codeVerifier }).toString(),
    });
    if (answer.status !== 200) throw new GmsError('device-token', answer.status, parse(answer.text));
    return (JSON.parse(answer.text) as { token: string }).token;
  }

  private agent(device: GmsDevice): Agent {
    let agent = this.agents.get(device);
    if (!agent) {
      if (!device.certificatePem) throw new Error('the device has no client certificate yet: register it first');
      agent = new Agent({
        keepAlive: true,
        cert: device.certificatePem,
        key: device.mtlsPrivateKeyPem,
        ...(this.serverCa ? { ca: this.serverCa } : {}),
      });
      this.agents.set(device, agent);
    }
    return agent;
  }
}

function parse(text: string): GmsError['body'] {
  try {
    return JSON.parse(text) as GmsError['body'];
  } catch {
    return undefined;
  }
}
