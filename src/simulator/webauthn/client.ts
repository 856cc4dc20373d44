import { fetchTransport, type HttpTransport } from '../warden-client.js';
import {
  SimulatedAuthenticator,
  type AuthenticationResponseJSON,
  type RegistrationResponseJSON,
  type SimulatedAuthenticatorOptions,
} from './authenticator.js';

type Requirement = 'required' | 'preferred' | 'discouraged';

export interface WebAuthnSimulationOptions extends Omit<SimulatedAuthenticatorOptions, 'userVerification'> {
  /** Base URL of the Keyward server, e.g. http://127.0.0.1:18013 */
  url: string;
  username: string;
  displayName?: string;
  /** Attestation conveyance asked for (default direct). */
  attestation?: 'none' | 'indirect' | 'direct' | 'enterprise';
  /** Discoverable credential wanted (default discouraged; required for `usernameless`). */
  residentKey?: Requirement;
  /** User verification asked for at registration and sign-in (default preferred). */
  userVerification?: Requirement;
  /** Sign in without a user name, with the discoverable credential (makes residentKey required). */
  usernameless?: boolean;
  /** Sign-ins after the registration (default 1). */
  signIns?: number;
  /**
   * The origin in clientDataJSON. Default: the URL's origin when its host is the RP ID (or under
   * it), else the URL's scheme and port with the RP ID as host (http://127.0.0.1:8080 with RP ID
   * localhost → http://localhost:8080, the origin Keyward expects without publicBaseUrl).
   */
  origin?: string;
  /** Sign in with this authenticator instead of a new one made from the options (e.g. a second run). */
  authenticator?: SimulatedAuthenticator;
  transport?: HttpTransport;
}

export type WebAuthnStepName = 'attestation/options' | 'attestation/result' | 'assertion/options' | 'assertion/result';

export interface WebAuthnStep {
  step: WebAuthnStepName;
  /** HTTP status. */
  status: number;
  /** The server's JSON answer (or its text when it is not JSON). */
  body: unknown;
}

export interface WebAuthnSimulationResult {
  /** Every step answered HTTP 200 with status "ok". */
  ok: boolean;
  /** What each step answered, in order; the flow stops at the first failed step. */
  steps: WebAuthnStep[];
  authenticator: SimulatedAuthenticator;
  /** base64url id of the registered credential, once the authenticator made it. */
  credentialId?: string;
}

interface CreationOptions {
  status?: string;
  challenge: string;
  rp: { id: string; name?: string };
  user: { id: string; name?: string; displayName?: string };
  pubKeyCredParams?: { alg: number }[];
  excludeCredentials?: { id: string }[];
  authenticatorSelection?: { residentKey?: string; requireResidentKey?: boolean };
}

interface GetOptions {
  status?: string;
  challenge: string;
  rpId: string;
  allowCredentials?: { id: string }[];
}

/** The conformance API's ServerPublicKeyCredential of a registration. */
const attestationResult = (credential: RegistrationResponseJSON) => ({
  id: credential.id,
  rawId: credential.rawId,
  type: credential.type,
  response: {
    clientDataJSON: credential.response.clientDataJSON,
    attestationObject: credential.response.attestationObject,
  },
  getClientExtensionResults: {},
});

/** The conformance API's ServerPublicKeyCredential of a sign-in (userHandle "" when the authenticator returns none). */
const assertionResult = (credential: AuthenticationResponseJSON) => ({
  id: credential.id,
  rawId: credential.rawId,
  type: credential.type,
  response: {
    authenticatorData: credential.response.authenticatorData,
    clientDataJSON: credential.response.clientDataJSON,
    signature: credential.response.signature,
    userHandle: credential.response.userHandle ?? '',
  },
  getClientExtensionResults: {},
});

export function originFor(url: string, rpId: string): string {
  const base = new URL(url);
  if (base.hostname === rpId || base.hostname.endsWith(`.${rpId}`)) return base.origin;
  return `${base.protocol}//${rpId}${base.port ? `:${base.port}` : ''}`;
}

const bytes = (base64url: string) => Buffer.from(base64url, 'base64url');

/**
 * What a browser with a simulated authenticator does against a Keyward server through the FIDO
 * conformance API: registration (attestation options → create → attestation result), then
 * `signIns` sign-ins (assertion options → get → assertion result). Returns what each step
 * answered; throws when the server cannot be reached or the authenticator refuses the options
 * (NotSupportedError, InvalidStateError, NotAllowedError, as a browser would).
 */
export async function simulateWebAuthn(options: WebAuthnSimulationOptions): Promise<WebAuthnSimulationResult> {
  const { url: _url, username, displayName, attestation, usernameless, signIns, origin, transport, ...rest } = options;
  const authenticator = options.authenticator ?? (await SimulatedAuthenticator.create(authenticatorOptions(rest)));
  const base = options.url.replace(/\/+$/, '');
  const send = transport ?? fetchTransport;
  const steps: WebAuthnStep[] = [];
  const result = (credentialId?: string): WebAuthnSimulationResult => ({
    ok: steps.every((step) => step.status === 200 && (step.body as { status?: unknown })?.status === 'ok'),
    steps,
    authenticator,
    ...(credentialId ? { credentialId } : {}),
  });
  const post = async (step: WebAuthnStepName, body: unknown) => {
    const response = await send({
      method: 'POST',
      url: `${base}/fido2/${step}`,
      body: Buffer.from(JSON.stringify(body)),
      contentType: 'application/json',
    });
    let parsed: unknown = response.text;
    try {
      parsed = JSON.parse(response.text);
    } catch {
      // Not JSON: the text is what the server answered.
    }
    steps.push({ step, status: response.status, body: parsed });
    return result().ok ? parsed : undefined;
  };

  const residentKey = usernameless ? 'required' : (options.residentKey ?? 'discouraged');
  const userVerification = options.userVerification ?? 'preferred';
  const creation = (await post('attestation/options', {
    username,
    displayName: displayName ?? username,
    attestation: attestation ?? 'direct',
    authenticatorSelection: { residentKey, requireResidentKey: residentKey === 'required', userVerification },
  })) as CreationOptions | undefined;
  if (!creation) return result();

  const asked = creation.authenticatorSelection?.residentKey ?? residentKey;
  const credential = await authenticator.register({
    rpId: creation.rp.id,
    origin: origin ?? originFor(options.url, creation.rp.id),
    challenge: bytes(creation.challenge),
    user: {
      id: bytes(creation.user.id),
      ...(creation.user.name ? { name: creation.user.name } : {}),
      ...(creation.user.displayName ? { displayName: creation.user.displayName } : {}),
    },
    residentKey:
      asked === 'required' || asked === 'preferred' || creation.authenticatorSelection?.requireResidentKey === true,
    ...(creation.pubKeyCredParams ? { algorithms: creation.pubKeyCredParams.map((param) => param.alg) } : {}),
    excludeCredentials: (creation.excludeCredentials ?? []).map((descriptor) => descriptor.id),
  });
  if (!(await post('attestation/result', attestationResult(credential)))) return result(credential.id);

  for (let i = 0; i < (signIns ?? 1); i++) {
    const request = (await post('assertion/options', {
      username: usernameless ? '' : username,
      userVerification,
    })) as GetOptions | undefined;
    if (!request) break;
    const assertion = authenticator.authenticate({
      rpId: request.rpId,
      origin: origin ?? originFor(options.url, request.rpId),
      challenge: bytes(request.challenge),
      allowCredentials: (request.allowCredentials ?? []).map((descriptor) => descriptor.id),
    });
    if (!(await post('assertion/result', assertionResult(assertion)))) break;
  }
  return result(credential.id);
}

/** The authenticator options among the simulation's (the ceremony's userVerification requirement is not the UV flag). */
function authenticatorOptions(
  rest: Omit<
    WebAuthnSimulationOptions,
    'url' | 'username' | 'displayName' | 'attestation' | 'usernameless' | 'signIns' | 'origin' | 'transport'
  >,
): SimulatedAuthenticatorOptions {
  const {
    residentKey: _residentKey,
    userVerification: _userVerification,
    authenticator: _authenticator,
    ...options
  } = rest;
  return options;
}
