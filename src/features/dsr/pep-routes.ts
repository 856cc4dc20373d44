import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Counter } from 'prom-client';
import type { DecisionRecorder } from '../../decision-log/decision-log.js';
import { recordDecision } from '../../decision-log/recorded.js';
import { contentError } from '../../errors.js';
import type { DsrComponents } from './dsr-from-config.js';
import { PEP_PROFILES, type PepDecision, type PepProfile } from './pep/pep.js';
import { fromTrustedProxy } from './presented-certificate.js';

/** What a caller outside dsr.trustedProxies gets: nginx's denial, without a decision. */
const CALLER_REFUSED = JSON.stringify({ errorCode: 'ACCESS_DENIED', description: 'Access denied' });

const ProfileParams = Type.Object({ profile: Type.String({ maxLength: 32 }) });

/**
 * A PEP decision for the decision log: denials, and allowed requests the simulation bundle would
 * have denied (shadow divergences). Other allowed requests are not logged: they are every request
 * the protected services get.
 */
function pepEvent(decision: PepDecision, profile: PepProfile, divergent: boolean, requestId: string) {
  const denied = decision.status !== 200;
  const failure = decision.requestError ?? decision.tokenFailure;
  const sub = decision.input?.deviceTokenPayload?.sub;
  const request = decision.input?.request;
  return {
    capability: 'dsr',
    operation: 'pep',
    platform: '',
    requestId,
    ...(typeof sub === 'string' ? { subject: sub } : {}),
    ...(denied
      ? {
          outcome: 'rejected' as const,
          category: decision.requestError ? ('CONTENT' as const) : ('TRUST' as const),
          code: decision.requestError ? decision.requestError.code : 'POLICY_DENIED',
        }
      : { outcome: 'accepted' as const }),
    summary: {
      profile,
      decisionId: decision.decisionId,
      ...(request
        ? { method: request.method, path: request.path, clientIP: request.clientIP, countryCode: request.countryCode }
        : {}),
      ...(failure && !decision.requestError ? { tokenInvalid: failure.code } : {}),
      ...(decision.denied.length > 0 ? { denied: decision.denied } : {}),
      ...(decision.errors.length > 0 ? { errors: decision.errors } : {}),
      ...(divergent ? { divergent: true } : {}),
    },
  };
}

/**
 * The PEP for nginx's auth_request (docs/dsr.md): GET /pep/{strict|lax}/auth_request[/…]. nginx
 * passes the original request's headers; the answer is 200 (with X-Device-Id and X-User-Id for
 * the upstream) or 403 with X-Pep-Result, bodies empty. Each decision is logged with its id.
 */
export const pepRoutes: FastifyPluginAsyncTypebox<{
  dsr: DsrComponents;
  decisions: Counter<'profile' | 'outcome'>;
  decisionLog: DecisionRecorder;
}> = async (app, { dsr, decisions, decisionLog }) => {
  const handler = async (request: FastifyRequest<{ Params: { profile: string } }>, reply: FastifyReply) => {
    const profile = request.params.profile as PepProfile;
    if (!PEP_PROFILES.includes(profile))
      throw contentError('NOT_FOUND', 'No such PEP profile.', {
        status: 404,
        detail: `profile ${JSON.stringify(request.params.profile)}`,
      });
    // The forwarded context (client address, certificate) counts only from the proxies; with none configured, from anyone.
    if (dsr.proxiesConfigured && !fromTrustedProxy(request.raw.socket.remoteAddress, dsr.trustedProxies)) {
      decisions.inc({ profile, outcome: 'malformed' });
      recordDecision(decisionLog, {
        capability: 'dsr',
        operation: 'pep',
        platform: '',
        requestId: request.id,
        outcome: 'rejected',
        category: 'TRUST',
        code: 'DSR_PEP_CALLER_UNTRUSTED',
        summary: { profile, remoteAddress: request.raw.socket.remoteAddress },
      });
      request.log.info(
        { code: 'DSR_PEP_CALLER_UNTRUSTED', remoteAddress: request.raw.socket.remoteAddress },
        'PEP request from outside dsr.trustedProxies refused',
      );
      return reply.code(403).headers({ 'x-pep-result': CALLER_REFUSED, 'cache-control': 'no-store' }).send();
    }
    const { decision, divergent } = dsr.policies.authorize(request.headers, profile, {
      remoteAddress: request.raw.socket.remoteAddress,
    });
    const outcome = decision.requestError ? 'malformed' : decision.status === 200 ? 'allow' : 'deny';
    decisions.inc({ profile, outcome });
    if (outcome !== 'allow' || divergent)
      recordDecision(decisionLog, pepEvent(decision, profile, divergent, request.id));
    request.log.info(
      {
        decisionId: decision.decisionId,
        profile,
        outcome,
        ...(decision.denied.length > 0 ? { denied: decision.denied } : {}),
        ...(decision.errors.length > 0 ? { errors: decision.errors } : {}),
        ...(decision.tokenFailure ? { token: decision.tokenFailure } : {}),
        ...(decision.requestError ? { request: decision.requestError } : {}),
        ...(divergent ? { divergent } : {}),
        cached: decision.cached,
      },
      'PEP decision',
    );
    return reply
      .code(decision.status)
      .headers({ ...decision.headers, 'cache-control': 'no-store' })
      .send();
  };
  const schema = {
    tags: ['dsr'],
    params: ProfileParams,
    summary: 'nginx auth_request target: 200 allows (X-Device-Id, X-User-Id), 403 denies (X-Pep-Result)',
    description:
      'Headers read: X-Device-Token, X-Original-URI, X-Original-Method, X-Real-IP, X-Country-Code and the forwarded client certificate (dsr.clientCertificateHeader). strict: the token must be bound (cnf x5t#S256) to the forwarded certificate; lax: the token alone.',
  };
  app.get('/pep/:profile/auth_request', { schema }, handler);
  app.get('/pep/:profile/auth_request/*', { schema: { ...schema, hide: true } }, handler);
};
