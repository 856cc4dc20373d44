import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  SettingsService,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
  type WebAuthnCredential,
} from '@simplewebauthn/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readAsset } from '../../assets.js';
import { pemCertificates } from '../../crypto/x509/certificate.js';
import { originFor, simulateWebAuthn } from './client.js';

/**
 * A stand-in relying party speaking the FIDO conformance API, verifying with SimpleWebAuthn: it
 * checks the client's request shapes and that what it sends verifies. (The end-to-end test
 * against Keyward's own server lives with the fido2 feature.)
 */
class FakeRelyingParty {
  readonly requests: { path: string; body: any }[] = [];
  failAt?: string;
  private server: Server | undefined;
  private challenge = '';
  private userId = randomBytes(16).toString('base64url');
  private credentials: WebAuthnCredential[] = [];

  get url(): string {
    return `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}`;
  }

  get origin(): string {
    return `http://localhost:${(this.server!.address() as AddressInfo).port}`;
  }

  async start(): Promise<void> {
    this.server = createServer((request, response) => {
      let text = '';
      request.on('data', (chunk) => (text += chunk));
      request.on('end', async () => {
        const path = request.url!;
        const body = JSON.parse(text);
        this.requests.push({ path, body });
        let status = 200;
        let reply: unknown;
        try {
          if (path === this.failAt) throw new Error('refused by the test');
          reply = { status: 'ok', errorMessage: '', ...(await this.answer(path, body)) };
        } catch (error) {
          status = 400;
          reply = { status: 'failed', errorMessage: (error as Error).message };
        }
        response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(reply));
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.server!.close(() => resolve()));
  }

  private async answer(path: string, body: any): Promise<Record<string, unknown>> {
    if (path.endsWith('/options')) this.challenge = randomBytes(32).toString('base64url');
    switch (path) {
      case '/fido2/attestation/options':
        return {
          challenge: this.challenge,
          rp: { id: 'localhost', name: 'Fake RP' },
          user: { id: this.userId, name: body.username, displayName: body.displayName },
          pubKeyCredParams: [
            { type: 'public-key', alg: -7 },
            { type: 'public-key', alg: -257 },
          ],
          excludeCredentials: [],
          authenticatorSelection: body.authenticatorSelection,
          attestation: body.attestation,
        };
      case '/fido2/attestation/result': {
        const { getClientExtensionResults, ...credential } = body;
        const verification = await verifyRegistrationResponse({
          response: { ...credential, clientExtensionResults: getClientExtensionResults },
          expectedChallenge: this.challenge,
          expectedOrigin: this.origin,
          expectedRPID: 'localhost',
          requireUserVerification: false,
        });
        this.credentials.push(verification.registrationInfo!.credential);
        return {};
      }
      case '/fido2/assertion/options':
        return {
          challenge: this.challenge,
          rpId: 'localhost',
          allowCredentials: body.username
            ? this.credentials.map((credential) => ({ type: 'public-key', id: credential.id }))
            : [],
          userVerification: body.userVerification,
        };
      default: {
        const { getClientExtensionResults, ...assertion } = body;
        const credential = this.credentials.find((each) => each.id === assertion.id)!;
        if (assertion.response.userHandle && assertion.response.userHandle !== this.userId)
          throw new Error('wrong user handle');
        const result = await verifyAuthenticationResponse({
          response: { ...assertion, clientExtensionResults: getClientExtensionResults },
          expectedChallenge: this.challenge,
          expectedOrigin: this.origin,
          expectedRPID: 'localhost',
          credential,
          requireUserVerification: false,
        });
        credential.counter = result.authenticationInfo.newCounter;
        return {};
      }
    }
  }
}

let rp: FakeRelyingParty;
const shippedRoot = (name: string) => new Uint8Array(pemCertificates(readAsset(`simulator/${name}.pem`))[0]!);

beforeAll(async () => {
  SettingsService.setRootCertificates({ identifier: 'packed', certificates: [shippedRoot('webauthn-root')] });
  SettingsService.setRootCertificates({ identifier: 'apple', certificates: [shippedRoot('webauthn-apple-root')] });
  rp = new FakeRelyingParty();
  await rp.start();
});

afterAll(() => rp.stop());

describe('simulateWebAuthn', () => {
  it('registers and signs in through the conformance API with the documented request shapes', async () => {
    rp.requests.length = 0;
    const result = await simulateWebAuthn({ url: `${rp.url}/`, format: 'packed', username: 'alice', signIns: 2 });
    expect(result.steps.map((step) => [step.step, step.status])).toEqual([
      ['attestation/options', 200],
      ['attestation/result', 200],
      ['assertion/options', 200],
      ['assertion/result', 200],
      ['assertion/options', 200],
      ['assertion/result', 200],
    ]);
    expect(result.ok).toBe(true);
    expect(result.credentialId).toBe(result.authenticator.credentials[0]!.id);
    expect(result.authenticator.credentials[0]!.counter).toBe(2);

    const [creation, registration, getOptions, assertion] = rp.requests;
    expect(creation!.body).toEqual({
      username: 'alice',
      displayName: 'alice',
      attestation: 'direct',
      authenticatorSelection: { residentKey: 'discouraged', requireResidentKey: false, userVerification: 'preferred' },
    });
    expect(Object.keys(registration!.body).sort()).toEqual([
      'getClientExtensionResults',
      'id',
      'rawId',
      'response',
      'type',
    ]);
    expect(Object.keys(registration!.body.response).sort()).toEqual(['attestationObject', 'clientDataJSON']);
    expect(getOptions!.body).toEqual({ username: 'alice', userVerification: 'preferred' });
    expect(Object.keys(assertion!.body.response).sort()).toEqual([
      'authenticatorData',
      'clientDataJSON',
      'signature',
      'userHandle',
    ]);
    expect(assertion!.body.response.userHandle).toBe('');
    const clientData = JSON.parse(Buffer.from(assertion!.body.response.clientDataJSON, 'base64url').toString());
    expect(clientData.origin).toBe(rp.origin);
  });

  it('signs in without a user name with a discoverable credential, returning its user handle', async () => {
    rp.requests.length = 0;
    const result = await simulateWebAuthn({ url: rp.url, format: 'apple', username: 'bob', usernameless: true });
    expect(result.ok).toBe(true);
    expect(rp.requests[0]!.body.authenticatorSelection.residentKey).toBe('required');
    expect(rp.requests[2]!.body.username).toBe('');
    expect(rp.requests[3]!.body.response.userHandle).toBe(result.authenticator.credentials[0]!.userHandle);
  });

  it('stops at the first failed step and reports it', async () => {
    rp.failAt = '/fido2/attestation/result';
    try {
      const result = await simulateWebAuthn({ url: rp.url, format: 'packed', username: 'carol' });
      expect(result.ok).toBe(false);
      expect(result.steps.map((step) => step.step)).toEqual(['attestation/options', 'attestation/result']);
      expect(result.steps[1]).toMatchObject({ status: 400, body: { status: 'failed' } });
    } finally {
      rp.failAt = undefined;
    }
  });

  it('uses the RP ID as the origin host unless the URL is already on it', () => {
    expect(originFor('http://127.0.0.1:8080', 'localhost')).toBe('http://localhost:8080');
    expect(originFor('https://login.example.com/base', 'example.com')).toBe('https://login.example.com');
    expect(originFor('https://10.0.0.1', 'example.com')).toBe('https://example.com');
  });
});
