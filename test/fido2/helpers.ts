import { expect } from 'vitest';
import {
  SimulatedAuthenticator,
  type AuthenticationResponseJSON,
  type RegistrationResponseJSON,
  type SimulatedAuthenticatorOptions,
} from '../../src/simulator/webauthn/authenticator.js';
import { startSimulatorServer, type TestServer, type TestServerOptions } from '../helpers/server.js';

export const API_KEY = 'fido2-operator-key-0123456789abcdef';

/**
 * A server with the WebAuthn relying party trusting the simulator's roots and metadata statements
 * (the local folder); no BLOB is downloaded (the sandbox is offline).
 */
export function startFido2Server(options: TestServerOptions & { fido2?: Record<string, unknown> } = {}) {
  const { fido2, ...rest } = options;
  return startSimulatorServer({
    ...rest,
    options: {
      admin: { apiKeys: [API_KEY] },
      ...rest.options,
      fido2: { ...fido2, mds: { enabled: false, ...(fido2?.mds as object) } },
    },
  });
}

/** The origin a browser at the test server would send: localhost (an IP address cannot be an RP ID) at its port. */
export const originOf = (server: TestServer) => `http://localhost:${new URL(server.url).port}`;

export const authenticator = (options: SimulatedAuthenticatorOptions) => SimulatedAuthenticator.create(options);

let userCount = 0;
/** A user name no other test uses. */
export const newUserName = (prefix = 'user') => `${prefix}-${process.pid}-${++userCount}@example.com`;

export interface Reply {
  status: number;
  body: any;
}

/** The body of a conformance failure: HTTP 400 (unless said otherwise) with status failed and the code. */
export function expectFailure(reply: Reply, code: string, status = 400): void {
  expect({ status: reply.status, body: reply.body }).toMatchObject({
    status,
    body: { status: 'failed', code },
  });
  expect(reply.body.errorMessage).not.toBe('');
}

export const registrationOptions = (server: TestServer, body: Record<string, unknown>) =>
  server.post('/fido2/attestation/options', body);

export const authenticationOptions = (server: TestServer, body: Record<string, unknown>) =>
  server.post('/fido2/assertion/options', body);

/** What the simulated browser answers to registration options (with the options' parameters). */
export function createCredential(
  server: TestServer,
  device: SimulatedAuthenticator,
  options: any,
  overrides: Partial<Parameters<SimulatedAuthenticator['register']>[0]> = {},
): Promise<RegistrationResponseJSON> {
  return device.register({
    rpId: options.rp.id,
    origin: originOf(server),
    challenge: Buffer.from(options.challenge, 'base64url'),
    user: {
      id: Buffer.from(options.user.id, 'base64url'),
      name: options.user.name,
      displayName: options.user.displayName,
    },
    residentKey: options.authenticatorSelection.residentKey !== 'discouraged',
    algorithms: options.pubKeyCredParams.map((parameter: { alg: number }) => parameter.alg),
    excludeCredentials: options.excludeCredentials.map((descriptor: { id: string }) => descriptor.id),
    ...overrides,
  });
}

/** What the simulated browser answers to sign-in options. */
export function getAssertion(
  server: TestServer,
  device: SimulatedAuthenticator,
  options: any,
  overrides: Partial<Parameters<SimulatedAuthenticator['authenticate']>[0]> = {},
): AuthenticationResponseJSON {
  return device.authenticate({
    rpId: options.rpId,
    origin: originOf(server),
    challenge: Buffer.from(options.challenge, 'base64url'),
    allowCredentials: options.allowCredentials.map((descriptor: { id: string }) => descriptor.id),
    ...overrides,
  });
}

/** Registers a credential for `userName` on `device`; returns the options and the result reply. */
export async function register(
  server: TestServer,
  device: SimulatedAuthenticator,
  userName = newUserName(),
  request: Record<string, unknown> = {},
) {
  const options = await registrationOptions(server, { username: userName, displayName: 'Test User', ...request });
  expect(options.status).toBe(200);
  const response = await createCredential(server, device, options.body);
  const result = await server.post('/fido2/attestation/result', response);
  return { userName, options: options.body, response, result };
}

/** Signs in with `device` (with a user name, or without one when `userName` is empty). */
export async function signIn(
  server: TestServer,
  device: SimulatedAuthenticator,
  userName: string,
  request: Record<string, unknown> = {},
) {
  const options = await authenticationOptions(server, { username: userName, ...request });
  expect(options.status).toBe(200);
  const response = getAssertion(server, device, options.body);
  const result = await server.post('/fido2/assertion/result', response);
  return { options: options.body, response, result };
}

/** GET with the operator key (or another Authorization header). */
export async function operatorGet(server: TestServer, path: string, authorization = `Bearer ${API_KEY}`) {
  const response = await fetch(`${server.url}${path}`, { headers: { authorization } });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined };
}

export async function operatorDelete(server: TestServer, path: string, authorization = `Bearer ${API_KEY}`) {
  const response = await fetch(`${server.url}${path}`, { method: 'DELETE', headers: { authorization } });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined };
}
