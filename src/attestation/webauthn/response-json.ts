import { contentError } from '../../errors.js';
import type { WebAuthnRegistrationInput } from './types.js';

/** What a client adds around a registration: extension outputs and how the authenticator is attached. */
export interface ClientOutputs {
  /** clientExtensionResults (getClientExtensionResults in the FIDO conformance shape), as sent. */
  clientExtensionResults?: Record<string, unknown>;
  /** `platform` or `cross-platform`; other values are dropped (WebAuthn says to ignore them). */
  authenticatorAttachment?: 'platform' | 'cross-platform';
}

export interface RegistrationResponse extends WebAuthnRegistrationInput, ClientOutputs {
  /** The credential id's bytes (rawId, or id decoded). */
  rawId: Uint8Array;
}

/** A sign-in response (AuthenticatorAssertionResponse), decoded. */
export interface AssertionInput extends ClientOutputs {
  /** The credential id, canonical base64url. */
  id: string;
  rawId: Uint8Array;
  clientDataJSON: Uint8Array;
  authenticatorData: Uint8Array;
  signature: Uint8Array;
  /** Absent when the authenticator returned none (null or empty in the JSON). */
  userHandle?: Uint8Array;
}

/** base64url, unpadded or padded, or standard base64: what clients and test vectors send. */
const BASE64 = /^[A-Za-z0-9+/_-]*={0,2}$/;

const malformed = (field: string, problem: string) =>
  contentError('RESPONSE_MALFORMED', 'The credential response is malformed.', { detail: `${field} ${problem}` });

type JsonObject = Record<string, unknown>;

const isObject = (value: unknown): value is JsonObject =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

function bytesField(value: unknown, field: string): Buffer {
  if (typeof value !== 'string') throw malformed(field, 'is missing or not a string');
  // A length of 1 mod 4 (ignoring padding) cannot be base64: Buffer would silently drop the character.
  if (!BASE64.test(value) || value.replace(/=+$/, '').length % 4 === 1) throw malformed(field, 'is not base64url');
  const bytes = Buffer.from(value, 'base64');
  if (bytes.length === 0) throw malformed(field, 'is empty');
  return bytes;
}

/** The credential id from id and/or rawId, which must agree; returned canonical. */
function credentialId(json: JsonObject): { id: string; rawId: Uint8Array } {
  if (json.id === undefined && json.rawId === undefined) throw malformed('id', 'is missing');
  const fromId = json.id === undefined ? undefined : bytesField(json.id, 'id');
  const rawId = json.rawId === undefined ? undefined : bytesField(json.rawId, 'rawId');
  if (fromId && rawId && !fromId.equals(rawId)) throw malformed('id', 'is not base64url(rawId)');
  const bytes = (rawId ?? fromId)!;
  return { id: bytes.toString('base64url'), rawId: bytes };
}

/** The parts common to both shapes: the envelope, the credential id, the client outputs. */
function envelope(json: unknown): { response: JsonObject; id: string; rawId: Uint8Array } & ClientOutputs {
  if (!isObject(json)) throw malformed('credential', 'is not a JSON object');
  if (json.type !== 'public-key') throw malformed('type', 'is not "public-key"');
  if (!isObject(json.response)) throw malformed('response', 'is missing or not an object');
  const result: { response: JsonObject; id: string; rawId: Uint8Array } & ClientOutputs = {
    response: json.response,
    ...credentialId(json),
  };
  const extensions = json.clientExtensionResults ?? json.getClientExtensionResults;
  if (extensions !== undefined) {
    if (!isObject(extensions)) throw malformed('clientExtensionResults', 'is not an object');
    result.clientExtensionResults = extensions;
  }
  const attachment = json.authenticatorAttachment;
  if (attachment !== undefined && attachment !== null && typeof attachment !== 'string')
    throw malformed('authenticatorAttachment', 'is not a string');
  if (attachment === 'platform' || attachment === 'cross-platform') result.authenticatorAttachment = attachment;
  return result;
}

/**
 * A registration response, as `PublicKeyCredential.toJSON()` writes it (WebAuthn
 * RegistrationResponseJSON) or as the FIDO conformance tools send it
 * (ServerAuthenticatorAttestationResponse). Binary fields are base64url; padding and the
 * standard base64 alphabet are tolerated. The toJSON conveniences (publicKey, authenticatorData…)
 * are ignored: the attestation object is what gets verified.
 */
export function parseRegistrationResponse(json: unknown): RegistrationResponse {
  const { response, ...outer } = envelope(json);
  const result: RegistrationResponse = {
    ...outer,
    clientDataJSON: bytesField(response.clientDataJSON, 'response.clientDataJSON'),
    attestationObject: bytesField(response.attestationObject, 'response.attestationObject'),
  };
  const transports = response.transports;
  if (transports !== undefined) {
    if (!Array.isArray(transports) || !transports.every((transport) => typeof transport === 'string'))
      throw malformed('response.transports', 'is not an array of strings');
    result.transports = transports as string[];
  }
  return result;
}

/**
 * A sign-in response, as `PublicKeyCredential.toJSON()` writes it (AuthenticationResponseJSON) or
 * as the FIDO conformance tools send it (ServerAuthenticatorAssertionResponse).
 */
export function parseAssertionResponse(json: unknown): AssertionInput {
  const { response, ...outer } = envelope(json);
  const result: AssertionInput = {
    ...outer,
    clientDataJSON: bytesField(response.clientDataJSON, 'response.clientDataJSON'),
    authenticatorData: bytesField(response.authenticatorData, 'response.authenticatorData'),
    signature: bytesField(response.signature, 'response.signature'),
  };
  const userHandle = response.userHandle;
  if (userHandle !== undefined && userHandle !== null && userHandle !== '')
    result.userHandle = bytesField(userHandle, 'response.userHandle');
  return result;
}
