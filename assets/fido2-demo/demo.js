// Keyward's passkey demo: registers and signs in through the FIDO conformance API
// (/fido2/attestation/*, /fido2/assertion/*). A plain ES module: no build step, no dependencies.
// Every text shown comes from textContent, never HTML, so server or user strings cannot inject markup.

const form = document.getElementById('ceremony');
const usernameField = document.getElementById('username');
const buttons = [...form.querySelectorAll('button')];
const statusArea = document.getElementById('status');
const environment = document.getElementById('environment');

const webAuthnAvailable = typeof PublicKeyCredential === 'function' && Boolean(navigator.credentials);
/** WebAuthn Level 3's JSON helpers (Chrome 129+, Firefox 119+, Safari 18+); older browsers get the conversions below. */
const builtInJson =
  webAuthnAvailable &&
  typeof PublicKeyCredential.parseCreationOptionsFromJSON === 'function' &&
  typeof PublicKeyCredential.parseRequestOptionsFromJSON === 'function' &&
  typeof PublicKeyCredential.prototype.toJSON === 'function';

/** A failure to show: what went wrong and its code (Keyward's code, or the browser's DOMException name). */
class CeremonyError extends Error {
  constructor(message, code) {
    super(message);
    this.code = code;
  }
}

// base64url (RFC 4648 §5, unpadded), as the conformance API carries binary values.

function bytesFromBase64Url(text) {
  const base64 = text.replace(/-/g, '+').replace(/_/g, '/');
  const binary = atob(base64 + '='.repeat((4 - (base64.length % 4)) % 4));
  return Uint8Array.from(binary, (character) => character.charCodeAt(0));
}

function base64UrlFromBytes(buffer) {
  let binary = '';
  for (const byte of new Uint8Array(buffer)) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

const descriptorsFromJson = (descriptors = []) =>
  descriptors.map((descriptor) => ({ ...descriptor, id: bytesFromBase64Url(descriptor.id) }));

/** The WebAuthn members of a ServerPublicKeyCredentialCreationOptionsResponse (without status and errorMessage). */
function creationOptionsJson(reply) {
  const { rp, user, challenge, pubKeyCredParams, timeout, excludeCredentials, authenticatorSelection } = reply;
  const { attestation, extensions } = reply;
  return { rp, user, challenge, pubKeyCredParams, timeout, excludeCredentials, authenticatorSelection, attestation, extensions };
}

function creationOptions(reply) {
  const json = creationOptionsJson(reply);
  if (builtInJson) return PublicKeyCredential.parseCreationOptionsFromJSON(json);
  return {
    ...json,
    user: { ...json.user, id: bytesFromBase64Url(json.user.id) },
    challenge: bytesFromBase64Url(json.challenge),
    excludeCredentials: descriptorsFromJson(json.excludeCredentials),
  };
}

/** The WebAuthn members of a ServerPublicKeyCredentialGetOptionsResponse. */
function requestOptions(reply) {
  const { challenge, timeout, rpId, allowCredentials, userVerification, extensions } = reply;
  const json = { challenge, timeout, rpId, allowCredentials, userVerification, ...(extensions ? { extensions } : {}) };
  if (builtInJson) return PublicKeyCredential.parseRequestOptionsFromJSON(json);
  return { ...json, challenge: bytesFromBase64Url(challenge), allowCredentials: descriptorsFromJson(allowCredentials) };
}

/** PublicKeyCredential.toJSON()'s shape, which the conformance API's result routes accept. */
function credentialJson(credential) {
  const json = builtInJson ? credential.toJSON() : convertCredential(credential);
  // A null attachment (not reported) is left out rather than sent as null.
  if (json.authenticatorAttachment == null) delete json.authenticatorAttachment;
  return json;
}

function convertCredential(credential) {
  const { response } = credential;
  const common = {
    id: credential.id,
    rawId: base64UrlFromBytes(credential.rawId),
    type: credential.type,
    authenticatorAttachment: credential.authenticatorAttachment,
    clientExtensionResults: credential.getClientExtensionResults(),
  };
  if (response instanceof AuthenticatorAttestationResponse) {
    return {
      ...common,
      response: {
        clientDataJSON: base64UrlFromBytes(response.clientDataJSON),
        attestationObject: base64UrlFromBytes(response.attestationObject),
        transports: typeof response.getTransports === 'function' ? response.getTransports() : [],
      },
    };
  }
  return {
    ...common,
    response: {
      clientDataJSON: base64UrlFromBytes(response.clientDataJSON),
      authenticatorData: base64UrlFromBytes(response.authenticatorData),
      signature: base64UrlFromBytes(response.signature),
      userHandle: response.userHandle ? base64UrlFromBytes(response.userHandle) : null,
    },
  };
}

/** POSTs to a conformance route (relative to this page, so a path prefix in front of Keyward is kept); a failed ServerResponse throws. */
async function post(path, body) {
  let response;
  try {
    response = await fetch(path, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify(body),
    });
  } catch {
    throw new CeremonyError('Keyward could not be reached.', 'NETWORK_ERROR');
  }
  let reply;
  try {
    reply = await response.json();
  } catch {
    throw new CeremonyError(`Keyward answered HTTP ${response.status} without a ServerResponse.`, `HTTP_${response.status}`);
  }
  if (!response.ok || reply?.status !== 'ok')
    throw new CeremonyError(reply?.errorMessage || `HTTP ${response.status}`, reply?.code ?? `HTTP_${response.status}`);
  return reply;
}

/** What the browser's DOMExceptions mean here. */
const BROWSER_ERRORS = {
  NotAllowedError: 'No authenticator answered: the request was cancelled, timed out or refused.',
  InvalidStateError: 'This authenticator already holds a credential for this user.',
  SecurityError: "The browser refused the relying party ID for this page's address: open the demo at the address Keyward is configured for.",
  NotSupportedError: 'No authenticator supports the requested algorithms or options.',
  AbortError: 'The request was aborted.',
};

function asCeremonyError(error) {
  if (error instanceof CeremonyError) return error;
  if (error instanceof DOMException) return new CeremonyError(BROWSER_ERRORS[error.name] ?? error.message, error.name);
  return new CeremonyError(error instanceof Error ? error.message : String(error), 'CLIENT_ERROR');
}

// The status area

function showStatus(outcome, headline, rows = []) {
  const heading = document.createElement('p');
  heading.className = 'headline';
  heading.textContent = headline;
  const list = document.createElement('dl');
  for (const [label, value, field, note] of rows) {
    const term = document.createElement('dt');
    term.textContent = label;
    const shown = document.createElement('span');
    shown.textContent = value;
    if (field) shown.dataset.field = field;
    const detail = document.createElement('dd');
    detail.append(shown);
    if (note) {
      const explanation = document.createElement('span');
      explanation.className = 'note';
      explanation.textContent = ` — ${note}`;
      detail.append(explanation);
    }
    list.append(term, detail);
  }
  statusArea.className = `status ${outcome}`;
  statusArea.dataset.outcome = outcome;
  statusArea.replaceChildren(heading, ...(rows.length > 0 ? [list] : []));
  statusArea.hidden = false;
}

const showError = (headline, error) =>
  showStatus('error', headline, [
    ['Reason', error.message, 'errorMessage'],
    ['Code', error.code, 'code'],
  ]);

const TRUST = {
  root: 'a configured or shipped root vouches for this authenticator',
  metadata: "an attestation root from the authenticator's FIDO metadata vouches for it",
  none: 'no trusted root vouches for this authenticator (monitor mode accepts it)',
};

const yesNo = (value) => (value ? 'yes' : 'no');

function showRegistration(userName, result) {
  const { metadata } = result;
  const rows = [
    ['Format', result.fmt, 'fmt'],
    ['Attestation type', result.attestationType, 'attestationType'],
    ['Trust', result.trust, 'trust', TRUST[result.trust]],
    ['AAGUID', result.aaguid, 'aaguid'],
    ['Authenticator', metadata.found ? (metadata.description ?? '(no description)') : 'not in the metadata', 'metadata'],
  ];
  if (metadata.found) rows.push(['Metadata status', metadata.statuses.join(', ') || '(none)', 'statuses']);
  rows.push(
    ['User verified', yesNo(result.userVerified), 'userVerified'],
    ['Backup', `${result.backupEligible ? 'eligible' : 'not eligible'}, ${result.backedUp ? 'backed up' : 'not backed up'}`],
    ['Credential id', result.credentialId, 'credentialId'],
  );
  for (const warning of result.warnings) rows.push(['Warning', warning]);
  showStatus('ok', `Registered a credential for ${userName}`, rows);
}

function showSignIn(result) {
  showStatus('ok', `Signed in as ${result.userName}`, [
    ['User verified', yesNo(result.userVerified), 'userVerified'],
    ['Signature counter', String(result.counter), 'counter'],
    ['Credential id', result.credentialId, 'credentialId'],
  ]);
}

// The ceremonies

async function register(userName) {
  const options = await post('attestation/options', { username: userName, displayName: userName });
  const credential = await navigator.credentials.create({ publicKey: creationOptions(options) });
  showRegistration(userName, await post('attestation/result', credentialJson(credential)));
}

/** Without a user name, a discoverable credential (passkey) answers and names its user. */
async function signIn(userName) {
  const options = await post('assertion/options', userName ? { username: userName } : {});
  const credential = await navigator.credentials.get({ publicKey: requestOptions(options) });
  showSignIn(await post('assertion/result', credentialJson(credential)));
}

const ACTIONS = {
  register: { run: register, failure: 'Registration failed', needsName: true },
  'sign-in': { run: signIn, failure: 'Sign-in failed', needsName: true },
  'sign-in-passkey': { run: () => signIn(''), failure: 'Sign-in failed', needsName: false },
};

const setBusy = (busy) => {
  for (const button of buttons) button.disabled = busy;
  form.setAttribute('aria-busy', String(busy));
};

form.addEventListener('submit', async (event) => {
  event.preventDefault();
  const action = ACTIONS[event.submitter?.value ?? 'register'];
  const userName = usernameField.value.trim();
  if (action.needsName && !userName) {
    showStatus('error', 'Enter a username first.');
    usernameField.focus();
    return;
  }
  setBusy(true);
  showStatus('pending', 'Waiting for the authenticator…');
  try {
    await action.run(userName);
  } catch (error) {
    showError(action.failure, asCeremonyError(error));
  } finally {
    setBusy(false);
  }
});

function describeEnvironment() {
  environment.textContent = `Origin ${location.origin}. WebAuthn JSON: ${
    builtInJson ? "the browser's built-in methods" : 'converted by this page'
  }.`;
  if (!webAuthnAvailable) {
    showStatus('error', 'This browser offers no WebAuthn here.', [
      ['Reason', 'WebAuthn needs a recent browser and a secure context: https, or http://localhost.', 'errorMessage'],
      ['Code', 'WEBAUTHN_UNAVAILABLE', 'code'],
    ]);
    return false;
  }
  // An IP address cannot be a relying party ID: Keyward's default RP ID is localhost.
  if (/^\d{1,3}(\.\d{1,3}){3}$|^\[/.test(location.hostname)) {
    const local = new URL(location.href);
    local.hostname = 'localhost';
    showStatus('error', 'WebAuthn needs a domain name, not an IP address.', [
      ['Open', local.href, 'suggestion'],
      ['Code', 'IP_ADDRESS_ORIGIN', 'code'],
    ]);
  }
  return true;
}

if (describeEnvironment()) setBusy(false);
