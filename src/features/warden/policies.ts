import { Value } from '@sinclair/typebox/value';
import type { AndroidPolicy } from '../../attestation/android/policy.js';
import type { AppleVerifier } from '../../attestation/apple/verify.js';
import type { AppAttestEnvironment } from '../../attestation/apple/environment.js';
import { AndroidPolicySchema } from '../../config/android.js';
import { invalidConfiguration } from '../../config/config-error.js';
import type { NamedWardenPolicy } from '../../config/warden.js';
import { contentError } from '../../errors.js';

/** What one policy (the default or a named one) asks of Android and Apple attestations. */
export interface ResolvedPolicy {
  name: string;
  android: AndroidPolicy;
  /** Absent when the policy names no App Attest app id: iOS proofs are then refused. */
  apple?: AppleVerifier;
}

export const DEFAULT_POLICY = 'default';

export interface PolicyBase {
  android: AndroidPolicy;
  appleAppIds: readonly string[];
  appleEnvironment: AppAttestEnvironment | 'any';
  /** An Apple verifier for these app ids (anchors, receipts and limits from configuration). */
  appleVerifier(appIds: readonly string[], environment: AppAttestEnvironment | 'any'): AppleVerifier;
}

/** `base` with `overrides` applied, validated as a whole; a ConfigError names the offending option under `path`. */
export function overridePolicy(
  base: AndroidPolicy,
  overrides: Record<string, unknown> | undefined,
  path: string,
): AndroidPolicy {
  // Defaults fill what an override leaves out (an app's signerDigests and minVersion), as they do in android.policy.
  const merged = Value.Default(AndroidPolicySchema, structuredClone({ ...base, ...(overrides ?? {}) }));
  const problem = Value.Errors(AndroidPolicySchema, merged).First();
  if (problem) throw invalidConfiguration(`${path}${problem.path.replace(/\//g, '.')}: ${problem.message}`);
  return merged as AndroidPolicy;
}

/**
 * The default policy is the `android.policy` and `apple` configuration; each named policy
 * overrides parts of it. Resolved once at start, so a bad override stops the process there.
 */
export function resolvePolicies(
  base: PolicyBase,
  named: Record<string, NamedWardenPolicy>,
): Map<string, ResolvedPolicy> {
  const resolve = (name: string, overrides: NamedWardenPolicy): ResolvedPolicy => {
    const android = overridePolicy(base.android, overrides.android, `warden.policies.${name}.android`);
    const appIds = overrides.apple?.appIds ?? base.appleAppIds;
    const environment = overrides.apple?.environment ?? base.appleEnvironment;
    return { name, android, ...(appIds.length > 0 ? { apple: base.appleVerifier(appIds, environment) } : {}) };
  };
  const policies = new Map<string, ResolvedPolicy>([[DEFAULT_POLICY, resolve(DEFAULT_POLICY, {})]]);
  for (const [name, overrides] of Object.entries(named)) {
    if (name === DEFAULT_POLICY)
      throw invalidConfiguration(`warden.policies: "${DEFAULT_POLICY}" names the base policy; choose another name`);
    policies.set(name, resolve(name, overrides));
  }
  return policies;
}

export function policyNamed(policies: Map<string, ResolvedPolicy>, name: string | undefined): ResolvedPolicy {
  const policy = policies.get(name ?? DEFAULT_POLICY);
  if (!policy)
    throw contentError('UNKNOWN_POLICY', `There is no attestation policy "${(name ?? '').slice(0, 64)}".`, {
      status: 404,
    });
  return policy;
}
