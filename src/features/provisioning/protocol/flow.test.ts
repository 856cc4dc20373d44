import { describe, expect, it } from 'vitest';
import { outcome } from '../../../../test/helpers/outcome.js';
import { assertAccepted, flowOf, isEnded, nextStep, openingStep, opensSession, type SessionStep } from './flow.js';
import { REQUEST, type RequestType } from './message-types.js';
import type { UpdateCredentialResult } from './responses.js';

/** Runs a flow from its opening message; returns the steps visited. */
function run(messages: readonly RequestType[], updateResult?: UpdateCredentialResult): SessionStep[] {
  const [first, ...rest] = messages;
  let step = openingStep(first!);
  const steps = [step];
  for (const type of rest) {
    step = nextStep(step, type, updateResult);
    steps.push(step);
  }
  return steps;
}

const PROVISIONING = [
  REQUEST.startProvisioning,
  REQUEST.androidStartProvisioning,
  REQUEST.setCertificateChain,
  REQUEST.setProofOfProvisioning,
] as const;
const CERTIFY = [
  REQUEST.certifyAuthKeys,
  REQUEST.certifyProveOwnershipResponse,
  REQUEST.certifySendCerts,
  REQUEST.requestEndSession,
] as const;
const UPDATE = [
  REQUEST.updateCredential,
  REQUEST.updateProveOwnershipResponse,
  REQUEST.updateGetDataToUpdate,
  REQUEST.updateSetProofOfProvisioning,
] as const;
const DELETE = [REQUEST.deleteCredential, REQUEST.deleteProveOwnershipResponse, REQUEST.deleteDeleted] as const;

describe('happy paths', () => {
  it('provisioning', () => {
    expect(run(PROVISIONING)).toEqual([
      'provisioning:ready',
      'provisioning:challenged',
      'provisioning:data-sent',
      'ended',
    ]);
  });

  it('certify auth keys', () => {
    expect(run(CERTIFY)).toEqual(['certify:proving', 'certify:ready', 'certify:certified', 'ended']);
  });

  it('update with new data', () => {
    expect(run(UPDATE, 'update')).toEqual(['update:proving', 'update:update', 'update:data-sent', 'ended']);
  });

  it('update with nothing new, or marked for deletion: the session may be closed with RequestEndSession', () => {
    for (const result of ['no_update', 'delete'] as const) {
      const steps = run(
        [REQUEST.updateCredential, REQUEST.updateProveOwnershipResponse, REQUEST.requestEndSession],
        result,
      );
      expect(steps).toEqual(['update:proving', `update:${result}`, 'ended']);
    }
  });

  it('delete', () => {
    expect(run(DELETE)).toEqual(['delete:proving', 'delete:ready-for-deletion', 'ended']);
  });

  it('names the flow of each step', () => {
    expect(flowOf('provisioning:data-sent')).toBe('provisioning');
    expect(flowOf('certify:ready')).toBe('certify');
    expect(flowOf('update:no_update')).toBe('update');
    expect(flowOf('delete:proving')).toBe('delete');
    expect(isEnded('ended')).toBe(true);
    expect(isEnded('certify:certified')).toBe(false);
  });
});

describe('opening messages', () => {
  it('only the four first messages open a session', () => {
    const openers = Object.values(REQUEST).filter(opensSession);
    expect(openers.sort()).toEqual(
      [REQUEST.startProvisioning, REQUEST.certifyAuthKeys, REQUEST.updateCredential, REQUEST.deleteCredential].sort(),
    );
    expect(() => openingStep(REQUEST.setCertificateChain)).toThrow(TypeError);
  });
});

describe('out-of-order messages', () => {
  const steps: SessionStep[] = [
    'provisioning:ready',
    'provisioning:challenged',
    'provisioning:data-sent',
    'certify:proving',
    'certify:ready',
    'certify:certified',
    'update:proving',
    'update:update',
    'update:no_update',
    'update:delete',
    'update:data-sent',
    'delete:proving',
    'delete:ready-for-deletion',
    'ended',
  ];
  /** The one or two messages each step accepts. */
  const accepted: Record<SessionStep, RequestType[]> = {
    'provisioning:ready': [REQUEST.androidStartProvisioning],
    'provisioning:challenged': [REQUEST.setCertificateChain],
    'provisioning:data-sent': [REQUEST.setProofOfProvisioning],
    'certify:proving': [REQUEST.certifyProveOwnershipResponse],
    'certify:ready': [REQUEST.certifySendCerts],
    'certify:certified': [REQUEST.requestEndSession],
    'update:proving': [REQUEST.updateProveOwnershipResponse],
    'update:update': [REQUEST.updateGetDataToUpdate],
    'update:no_update': [REQUEST.requestEndSession],
    'update:delete': [REQUEST.requestEndSession],
    'update:data-sent': [REQUEST.updateSetProofOfProvisioning],
    'delete:proving': [REQUEST.deleteProveOwnershipResponse],
    'delete:ready-for-deletion': [REQUEST.deleteDeleted],
    ended: [],
  };

  it('refuses every other message in every step', () => {
    for (const step of steps) {
      for (const type of Object.values(REQUEST)) {
        const expected = accepted[step].includes(type) ? 'accepted' : 'CONTENT PROVISIONING_MESSAGE_OUT_OF_ORDER';
        expect(
          outcome(() => assertAccepted(step, type)),
          `${type} in ${step}`,
        ).toBe(expected);
        expect(
          outcome(() => nextStep(step, type, 'update')),
          `${type} in ${step}`,
        ).toBe(expected);
      }
    }
  });

  it('refuses skipping a step, repeating one, or crossing flows', () => {
    expect(outcome(() => run([REQUEST.startProvisioning, REQUEST.setCertificateChain]))).toBe(
      'CONTENT PROVISIONING_MESSAGE_OUT_OF_ORDER',
    );
    expect(
      outcome(() =>
        run([REQUEST.certifyAuthKeys, REQUEST.certifyProveOwnershipResponse, REQUEST.certifyProveOwnershipResponse]),
      ),
    ).toBe('CONTENT PROVISIONING_MESSAGE_OUT_OF_ORDER');
    expect(outcome(() => run([REQUEST.deleteCredential, REQUEST.updateProveOwnershipResponse]))).toBe(
      'CONTENT PROVISIONING_MESSAGE_OUT_OF_ORDER',
    );
    expect(outcome(() => run([...CERTIFY, REQUEST.certifySendCerts]))).toBe(
      'CONTENT PROVISIONING_MESSAGE_OUT_OF_ORDER',
    );
  });

  it('refuses RequestEndSession before a flow has done its work', () => {
    for (const step of [
      'provisioning:data-sent',
      'certify:ready',
      'update:update',
      'delete:ready-for-deletion',
    ] as const) {
      expect(outcome(() => nextStep(step, REQUEST.requestEndSession))).toBe(
        'CONTENT PROVISIONING_MESSAGE_OUT_OF_ORDER',
      );
    }
  });

  it('refuses GetDataToUpdate when the system of record said no_update or delete', () => {
    for (const result of ['no_update', 'delete'] as const) {
      expect(
        outcome(() =>
          run([REQUEST.updateCredential, REQUEST.updateProveOwnershipResponse, REQUEST.updateGetDataToUpdate], result),
        ),
      ).toBe('CONTENT PROVISIONING_MESSAGE_OUT_OF_ORDER');
    }
  });

  it('needs the update result for the update proof of ownership (a programming error otherwise)', () => {
    expect(() => nextStep('update:proving', REQUEST.updateProveOwnershipResponse)).toThrow(TypeError);
  });
});
