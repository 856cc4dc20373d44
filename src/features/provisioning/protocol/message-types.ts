/**
 * The messageType strings of the four flows of PROTOCOLS.md §7, as the deployed Android holder
 * app and Google's reference server write them. Every type after a flow's first carries the
 * com.android.identity_credential. prefix, except StartProvisioning, RequestEndSession and the
 * three replies that name no vendor (ReadyToProvisionMessage, EndSessionMessage).
 */
const PREFIX = 'com.android.identity_credential.';

/** What devices send. */
export const REQUEST = {
  startProvisioning: 'StartProvisioning',
  androidStartProvisioning: `${PREFIX}StartProvisioning`,
  setCertificateChain: `${PREFIX}SetCertificateChain`,
  setProofOfProvisioning: `${PREFIX}SetProofOfProvisioning`,
  certifyAuthKeys: `${PREFIX}CertifyAuthKeys`,
  certifyProveOwnershipResponse: `${PREFIX}CertifyAuthKeysProveOwnershipResponse`,
  certifySendCerts: `${PREFIX}CertifyAuthKeysSendCerts`,
  requestEndSession: 'RequestEndSession',
  updateCredential: `${PREFIX}UpdateCredential`,
  updateProveOwnershipResponse: `${PREFIX}UpdateCredentialProveOwnershipResponse`,
  updateGetDataToUpdate: `${PREFIX}UpdateCredentialGetDataToUpdate`,
  updateSetProofOfProvisioning: `${PREFIX}UpdateCredentialSetProofOfProvisioning`,
  deleteCredential: `${PREFIX}DeleteCredential`,
  deleteProveOwnershipResponse: `${PREFIX}DeleteCredentialProveOwnershipResponse`,
  deleteDeleted: `${PREFIX}DeleteCredentialDeleted`,
} as const;

export type RequestType = (typeof REQUEST)[keyof typeof REQUEST];

/**
 * The seed protocol document names the certify flow's last request RequestEndMessage; the app and
 * the reference server use RequestEndSession. Both are read as RequestEndSession.
 */
export const REQUEST_ALIASES: Readonly<Record<string, RequestType>> = { RequestEndMessage: REQUEST.requestEndSession };

/** What Keyward answers. */
export const RESPONSE = {
  readyToProvision: 'ReadyToProvisionMessage',
  provisioningResponse: `${PREFIX}ProvisioningResponse`,
  dataToProvision: `${PREFIX}DataToProvisionMessage`,
  certifyProveOwnership: `${PREFIX}CertifyAuthKeysProveOwnership`,
  certifyReady: `${PREFIX}CertifyAuthKeysReady`,
  certifyResponse: `${PREFIX}CertifyAuthKeysResponse`,
  updateProveOwnership: `${PREFIX}UpdateCredentialProveOwnership`,
  updateResponse: `${PREFIX}UpdateCredentialResponse`,
  updateDataToProvision: `${PREFIX}UpdateCredentialDataToProvisionMessage`,
  deleteProveOwnership: `${PREFIX}DeleteCredentialProveOwnership`,
  deleteReadyForDeletion: `${PREFIX}DeleteCredentialReadyForDeletion`,
  endSession: 'EndSessionMessage',
} as const;

export type ResponseType = (typeof RESPONSE)[keyof typeof RESPONSE];
