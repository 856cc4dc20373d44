import { contentError } from '../../../errors.js';
import { REQUEST, type RequestType } from './message-types.js';
import type { UpdateCredentialResult } from './responses.js';

/**
 * The order of the four flows of PROTOCOLS.md §7: which request a session accepts in each step,
 * and the step it is in after Keyward's reply. Pure: the caller keeps the step with the session.
 * A session's step is named for the reply Keyward last sent:
 *
 *   provisioning  StartProvisioning → ready → StartProvisioning (prefixed) → challenged →
 *                 SetCertificateChain → data-sent → SetProofOfProvisioning → ended
 *   certify       CertifyAuthKeys → proving → …ProveOwnershipResponse → ready →
 *                 CertifyAuthKeysSendCerts → certified → RequestEndSession → ended
 *   update        UpdateCredential → proving → …ProveOwnershipResponse → update | no_update | delete
 *                 update → UpdateCredentialGetDataToUpdate → data-sent →
 *                 UpdateCredentialSetProofOfProvisioning → ended
 *                 no_update, delete → RequestEndSession → ended (the app may also just stop there:
 *                 "no further messages need to be sent"; the session then expires)
 *   delete        DeleteCredential → proving → …ProveOwnershipResponse → ready-for-deletion →
 *                 DeleteCredentialDeleted → ended
 *
 * RequestEndSession is accepted only where a flow has done its work; anywhere else it is out of
 * order, which ends the session with reason Failed — nothing half-done is reported as Success.
 */

export type FlowName = 'provisioning' | 'certify' | 'update' | 'delete';

export type SessionStep =
  | 'provisioning:ready'
  | 'provisioning:challenged'
  | 'provisioning:data-sent'
  | 'certify:proving'
  | 'certify:ready'
  | 'certify:certified'
  | 'update:proving'
  | 'update:update'
  | 'update:no_update'
  | 'update:delete'
  | 'update:data-sent'
  | 'delete:proving'
  | 'delete:ready-for-deletion'
  | 'ended';

/** The requests that open a session (they carry no eSessionId), and the step after Keyward's reply. */
const FIRST: Partial<Record<RequestType, SessionStep>> = {
  [REQUEST.startProvisioning]: 'provisioning:ready',
  [REQUEST.certifyAuthKeys]: 'certify:proving',
  [REQUEST.updateCredential]: 'update:proving',
  [REQUEST.deleteCredential]: 'delete:proving',
};

/** Marks the one transition whose target the system of record decides (UpdateCredentialResponse). */
const BY_UPDATE_RESULT = 'by-update-result';

const NEXT: Readonly<Record<SessionStep, Partial<Record<RequestType, SessionStep | typeof BY_UPDATE_RESULT>>>> = {
  'provisioning:ready': { [REQUEST.androidStartProvisioning]: 'provisioning:challenged' },
  'provisioning:challenged': { [REQUEST.setCertificateChain]: 'provisioning:data-sent' },
  'provisioning:data-sent': { [REQUEST.setProofOfProvisioning]: 'ended' },
  'certify:proving': { [REQUEST.certifyProveOwnershipResponse]: 'certify:ready' },
  'certify:ready': { [REQUEST.certifySendCerts]: 'certify:certified' },
  'certify:certified': { [REQUEST.requestEndSession]: 'ended' },
  'update:proving': { [REQUEST.updateProveOwnershipResponse]: BY_UPDATE_RESULT },
  'update:update': { [REQUEST.updateGetDataToUpdate]: 'update:data-sent' },
  'update:no_update': { [REQUEST.requestEndSession]: 'ended' },
  'update:delete': { [REQUEST.requestEndSession]: 'ended' },
  'update:data-sent': { [REQUEST.updateSetProofOfProvisioning]: 'ended' },
  'delete:proving': { [REQUEST.deleteProveOwnershipResponse]: 'delete:ready-for-deletion' },
  'delete:ready-for-deletion': { [REQUEST.deleteDeleted]: 'ended' },
  ended: {},
};

/** Whether `type` opens a new session (StartProvisioning, CertifyAuthKeys, UpdateCredential, DeleteCredential). */
export const opensSession = (type: RequestType): boolean => FIRST[type] !== undefined;

/** The step of a session opened by `type`. TypeError for a request that does not open one (the reader guarantees a session id). */
export function openingStep(type: RequestType): SessionStep {
  const step = FIRST[type];
  if (!step) throw new TypeError(`${type} does not open a session`);
  return step;
}

export const flowOf = (step: Exclude<SessionStep, 'ended'>): FlowName => step.split(':')[0] as FlowName;

export const isEnded = (step: SessionStep): boolean => step === 'ended';

/** Throws PROVISIONING_MESSAGE_OUT_OF_ORDER unless a session in `step` accepts `type` next; check before doing any work. */
export function assertAccepted(step: SessionStep, type: RequestType): void {
  if (NEXT[step][type] === undefined) {
    throw contentError('PROVISIONING_MESSAGE_OUT_OF_ORDER', 'The message is out of order for this session.', {
      detail: `${type} in step ${step}`,
    });
  }
}

/**
 * The step after Keyward has answered `type` in `step`. The update flow's proof of ownership
 * leads where the system of record says (`updateResult`); any other transition ignores it.
 * Throws PROVISIONING_MESSAGE_OUT_OF_ORDER as assertAccepted does.
 */
export function nextStep(step: SessionStep, type: RequestType, updateResult?: UpdateCredentialResult): SessionStep {
  assertAccepted(step, type);
  const next = NEXT[step][type]!;
  if (next !== BY_UPDATE_RESULT) return next;
  if (updateResult === undefined) throw new TypeError('the update flow needs the UpdateCredentialResponse result');
  return `update:${updateResult}`;
}
