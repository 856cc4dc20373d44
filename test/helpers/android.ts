import { loadConfig } from '../../src/config/load.js';
import type { AndroidConfig } from '../../src/config/schema.js';
import type { TrustAnchor } from '../../src/crypto/chain.js';
import { AndroidVerifier } from '../../src/attestation/android/verify.js';

type DeepPartial<T> = { [K in keyof T]?: T[K] extends object ? (T[K] extends unknown[] ? T[K] : DeepPartial<T[K]>) : T[K] };

/** A verifier from the documented defaults plus overrides (revocation off unless given): for tests and benchmarks. */
export function androidVerifier(overrides: DeepPartial<AndroidConfig> = {}, extraAnchors: TrustAnchor[] = [], options: { fetcher?: Parameters<typeof AndroidVerifier.fromConfig>[1]['fetcher']; now?: () => number } = {}): AndroidVerifier {
  const { config } = loadConfig({ env: {}, flags: { android: { ...overrides, revocation: { enabled: false, ...overrides.revocation } } } });
  return AndroidVerifier.fromConfig(config.android, {
    clock: { now: options.now ?? (() => Date.now()) },
    extraAnchors,
    ...(options.fetcher ? { fetcher: options.fetcher } : {}),
  });
}
