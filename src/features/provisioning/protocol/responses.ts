import { type DocumentData, encodeCanonical, nameSpacesToCbor, profileToCbor } from './data.js';
import { RESPONSE } from './message-types.js';

/**
 * Writers of Keyward's replies in the four flows of PROTOCOLS.md §7: one CBOR map each, with
 * messageType, eSessionId (text) and the reply's fields, deterministically encoded. The replies
 * are not signed, but the document data in them is what the device signs back in
 * ProofOfProvisioning, so it goes out in the form ISO 18013-5 expects items to have.
 */

const message = (messageType: string, sessionId: string, fields: Record<string, unknown> = {}): Uint8Array =>
  encodeCanonical(
    new Map<string, unknown>([['messageType', messageType], ['eSessionId', sessionId], ...Object.entries(fields)]),
  );

/** The values of updateCredentialResult. */
export type UpdateCredentialResult = 'delete' | 'no_update' | 'update';

/** The values of EndSessionMessage's reason. */
export type EndSessionReason = 'Success' | 'Failed';

export const writeReadyToProvision = (sessionId: string) => message(RESPONSE.readyToProvision, sessionId);

export const writeProvisioningResponse = (sessionId: string, challenge: Uint8Array, docType: string) =>
  message(RESPONSE.provisioningResponse, sessionId, { challenge, docType });

const documentFields = (data: Pick<DocumentData, 'accessControlProfiles' | 'nameSpaces'>) => ({
  accessControlProfiles: data.accessControlProfiles.map(profileToCbor),
  nameSpaces: nameSpacesToCbor(data.nameSpaces),
});

export const writeDataToProvision = (
  sessionId: string,
  data: Pick<DocumentData, 'accessControlProfiles' | 'nameSpaces'>,
) => message(RESPONSE.dataToProvision, sessionId, documentFields(data));

export const writeCertifyAuthKeysProveOwnership = (sessionId: string, challenge: Uint8Array) =>
  message(RESPONSE.certifyProveOwnership, sessionId, { challenge });

export const writeCertifyAuthKeysReady = (sessionId: string) => message(RESPONSE.certifyReady, sessionId);

/** staticAuthDatas: one encoded StaticAuthData (bstr) per certified auth key, in the order of authKeyCerts. */
export const writeCertifyAuthKeysResponse = (sessionId: string, staticAuthDatas: readonly Uint8Array[]) =>
  message(RESPONSE.certifyResponse, sessionId, { staticAuthDatas: [...staticAuthDatas] });

export const writeUpdateCredentialProveOwnership = (sessionId: string, challenge: Uint8Array) =>
  message(RESPONSE.updateProveOwnership, sessionId, { challenge });

export const writeUpdateCredentialResponse = (sessionId: string, updateCredentialResult: UpdateCredentialResult) =>
  message(RESPONSE.updateResponse, sessionId, { updateCredentialResult });

export const writeUpdateCredentialDataToProvision = (
  sessionId: string,
  data: Pick<DocumentData, 'accessControlProfiles' | 'nameSpaces'>,
) => message(RESPONSE.updateDataToProvision, sessionId, documentFields(data));

export const writeDeleteCredentialProveOwnership = (sessionId: string, challenge: Uint8Array) =>
  message(RESPONSE.deleteProveOwnership, sessionId, { challenge });

export const writeDeleteCredentialReadyForDeletion = (sessionId: string, challenge: Uint8Array) =>
  message(RESPONSE.deleteReadyForDeletion, sessionId, { challenge });

/**
 * EndSessionMessage. A failure before any session exists (an unreadable body, an unknown first
 * message) has no session id to echo: eSessionId is then left out rather than invented.
 */
export function writeEndSession(sessionId: string | undefined, reason: EndSessionReason): Uint8Array {
  const fields = new Map<string, unknown>([['messageType', RESPONSE.endSession]]);
  if (sessionId !== undefined) fields.set('eSessionId', sessionId);
  fields.set('reason', reason);
  return encodeCanonical(fields);
}
