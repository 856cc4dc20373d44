import { createHash } from 'node:crypto';
import {
  type AuthorizationAnswer,
  isAuthorized,
  policySetTextToParts,
  policyToJson,
  preparsePolicySet,
  statefulIsAuthorized,
} from '@cedar-policy/cedar-wasm/nodejs';
import { type CedarRequest, type PreparedPdpData, toCedarRequest } from './context.js';

/**
 * The DSR policy decision point: a Cedar policy set and a bundle's data decide a PDP input
 * (PROTOCOLS.md §5) into the reference's verdict. Fail closed: any evaluation error denies,
 * because Cedar skips a policy that errors and an erroring `forbid` would otherwise let the
 * request through.
 */

/** A policy set is malformed or breaks the PDP's conventions (see default-policies.ts). */
export class PdpPolicyError extends Error {
  override readonly name = 'PdpPolicyError';
}

/** The part of the verdict a forbid denies. "token" denies the whole request only. */
export type PolicyScope = 'token' | 'device' | 'security';
const SCOPES: readonly string[] = ['token', 'device', 'security'];

export interface PdpViolation {
  errorCode: string;
  /** The policy's @description (the reference's field name). */
  errorDescription: string;
}

/** §5's verdict, the reference's `verdict` rule. */
export interface PdpVerdict {
  allow: boolean;
  device: { allow: boolean; violations: PdpViolation[] };
  security: { allow: boolean; violations: PdpViolation[] };
}

export interface PdpDecision {
  verdict: PdpVerdict;
  /** For logs and the PEP: the ids of the forbids that denied, whether or not they are reported as violations. */
  denied: string[];
  /** For logs: `<policy id>: <message>` of each evaluation error (each one denies). */
  errors: string[];
}

interface PolicyInfo {
  /** Its place in the policy set: violations are listed in this order. */
  readonly index: number;
  readonly effect: 'permit' | 'forbid';
  readonly scope?: PolicyScope;
  readonly violation?: PdpViolation;
}

/** A policy set parsed, checked and preparsed in cedar-wasm. */
export interface CompiledPolicies {
  /** The preparsed set's id in cedar-wasm (derived from the text, so compiling the same text twice reuses it). */
  readonly id: string;
  readonly policies: ReadonlyMap<string, PolicyInfo>;
  /** The policies keyed by id, for a bare isAuthorized call. */
  readonly texts: Readonly<Record<string, string>>;
}

const messages = (errors: { message: string }[]) => errors.map((error) => error.message).join('; ');

/**
 * Parses a policy set and checks the PDP's conventions: unique `@id`s (defaulting to
 * policy<n>), no templates, and on every forbid `@scope` (token | device | security),
 * `@errorCode` and `@description`, and `@violation` only as "true" or "false".
 */
export function compilePolicies(text: string): CompiledPolicies {
  const parts = policySetTextToParts(text);
  if (parts.type === 'failure') throw new PdpPolicyError(`the policy set does not parse: ${messages(parts.errors)}`);
  if (parts.policy_templates.length > 0) throw new PdpPolicyError('the policy set must not contain templates');

  const policies = new Map<string, PolicyInfo>();
  const texts: Record<string, string> = {};
  parts.policies.forEach((policyText, index) => {
    const json = policyToJson(policyText);
    if (json.type === 'failure') throw new PdpPolicyError(`policy ${index}: ${messages(json.errors)}`);
    const { effect, annotations = {} } = json.json;
    const id = annotations.id ?? `policy${index}`;
    if (policies.has(id)) throw new PdpPolicyError(`two policies have the @id ${JSON.stringify(id)}`);
    let info: PolicyInfo = { index, effect };
    if (effect === 'forbid') {
      const { scope, errorCode, description, violation = 'true' } = annotations;
      if (scope === undefined || !SCOPES.includes(scope)) {
        throw new PdpPolicyError(`forbid ${id}: @scope must be one of ${SCOPES.join(', ')}`);
      }
      if (!errorCode || !description)
        throw new PdpPolicyError(`forbid ${id}: @errorCode and @description are required`);
      if (violation !== 'true' && violation !== 'false') {
        throw new PdpPolicyError(`forbid ${id}: @violation must be "true" or "false"`);
      }
      info = {
        index,
        effect,
        scope: scope as PolicyScope,
        ...(violation === 'true' ? { violation: { errorCode, errorDescription: description } } : {}),
      };
    }
    policies.set(id, info);
    texts[id] = policyText;
  });

  const id = `dsr-${createHash('sha256').update(text).digest('base64url')}`;
  const parsed = preparsePolicySet(id, { staticPolicies: texts });
  if (parsed.type === 'failure') throw new PdpPolicyError(`the policy set does not parse: ${messages(parsed.errors)}`);
  return { id, policies, texts };
}

/** The verdict that denies everything, with nothing to report. */
function denyAll(errors: string[]): PdpDecision {
  return {
    verdict: {
      allow: false,
      device: { allow: false, violations: [] },
      security: { allow: false, violations: [] },
    },
    denied: [],
    errors,
  };
}

/** Turns Cedar's answer into the verdict; exported for the tests that feed it answers Cedar would give. */
export function toDecision(policies: CompiledPolicies, answer: AuthorizationAnswer): PdpDecision {
  if (answer.type === 'failure') return denyAll(answer.errors.map((error) => `request: ${error.message}`));
  const { decision, diagnostics } = answer.response;

  const blocked = { token: false, device: false, security: false };
  const violations = { device: [] as PdpViolation[], security: [] as PdpViolation[] };
  const errors: string[] = [];
  for (const { policyId, error } of diagnostics.errors) {
    errors.push(`${policyId}: ${error.message}`);
    const scope = policies.policies.get(policyId)?.scope;
    if (scope) blocked[scope] = true;
    else blocked.token = blocked.device = blocked.security = true; // an erroring permit, or an unknown id
  }
  const denied: string[] = [];
  if (decision === 'deny') {
    const order = (id: string) => policies.policies.get(id)?.index ?? -1;
    for (const policyId of [...diagnostics.reason].sort((a, b) => order(a) - order(b))) {
      const info = policies.policies.get(policyId);
      if (info?.effect !== 'forbid' || !info.scope) {
        blocked.token = blocked.device = blocked.security = true;
        continue;
      }
      denied.push(policyId);
      blocked[info.scope] = true;
      if (info.violation && info.scope !== 'token') violations[info.scope].push(info.violation);
    }
  }

  const deviceAllow = !blocked.device;
  const securityAllow = !blocked.security;
  return {
    verdict: {
      allow: decision === 'allow' && errors.length === 0 && !blocked.token && deviceAllow && securityAllow,
      device: { allow: deviceAllow, violations: violations.device },
      security: { allow: securityAllow, violations: violations.security },
    },
    denied,
    errors,
  };
}

/** Decides one PDP input ({request, deviceTokenValid, deviceTokenPayload}) with a compiled policy set and prepared data. */
export function decide(policies: CompiledPolicies, data: PreparedPdpData, input: unknown): PdpDecision {
  let request: CedarRequest;
  try {
    request = toCedarRequest(input, data);
  } catch (error) {
    return denyAll([`input: ${error instanceof Error ? error.message : String(error)}`]);
  }
  let answer: AuthorizationAnswer;
  try {
    answer = statefulIsAuthorized({ ...request, preparsedPolicySetId: policies.id });
  } catch (error) {
    return denyAll([`cedar: ${error instanceof Error ? error.message : String(error)}`]);
  }
  return toDecision(policies, answer);
}

/** The same request as a bare isAuthorized call (the policies parsed on every call): for comparison in benchmarks. */
export function bareIsAuthorized(policies: CompiledPolicies, request: CedarRequest): AuthorizationAnswer {
  return isAuthorized({ ...request, policies: { staticPolicies: policies.texts } });
}
