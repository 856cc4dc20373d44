import { readFileSync } from 'node:fs';
import { AndroidVerifier } from '../attestation/android/verify.js';
import {
  FetchedStatusList,
  StatusList,
  httpFetcher,
  type Fetcher,
  type StatusListProvider,
} from '../attestation/android/revocation.js';
import type { Clock } from '../clock.js';
import { TrustAnchors, type TrustAnchor } from '../crypto/x509/chain.js';
import { invalidConfiguration } from './config-error.js';
import type { AndroidConfig } from './schema.js';
import { configuredAnchors, googleHardwareRoots, googleSoftwareRoots } from './trust-anchors.js';

export interface AndroidVerifierDependencies {
  clock: Clock;
  /** How the status list is fetched; default `fetch`. */
  fetcher?: Fetcher;
  /** Anchors a caller adds beyond configuration, e.g. the simulator's test root; trusted only when passed here. */
  extraAnchors?: TrustAnchor[];
  onRevocationError?: (error: unknown) => void;
}

/** The Android verifier the `android` configuration describes. Unreadable root or status-list files are configuration mistakes (ConfigError). */
export function androidVerifierFromConfig(
  config: AndroidConfig,
  dependencies: AndroidVerifierDependencies,
): AndroidVerifier {
  const anchors = [
    ...(config.googleRoots ? googleHardwareRoots() : []),
    ...configuredAnchors(config.extraRootFiles, 'android.extraRootFiles'),
    ...(dependencies.extraAnchors ?? []),
  ];
  let statusList: StatusListProvider | undefined;
  if (config.revocation.enabled) {
    statusList = config.revocation.file
      ? fileStatusList(config.revocation.file, dependencies.clock)
      : new FetchedStatusList({
          url: config.revocation.url,
          fetcher: dependencies.fetcher ?? httpFetcher,
          clock: dependencies.clock,
          fallbackTtlMs: config.revocation.fallbackTtlSeconds * 1000,
          timeoutMs: config.revocation.timeoutMs,
          onRefreshError: dependencies.onRevocationError,
        });
  }
  return new AndroidVerifier({
    hardwareAnchors: new TrustAnchors(anchors),
    softwareAnchors: new TrustAnchors(googleSoftwareRoots()),
    rkpKeys: new Set(config.rkpKeys.map((key) => key.toLowerCase())),
    allowSoftwareAttestation: config.allowSoftwareAttestation,
    maxChainLength: config.maxChainLength,
    strictEncoding: config.strictEncoding,
    ignoreLeafValidity: config.ignoreLeafValidity,
    enforceIntermediateValidity: config.enforceIntermediateValidity,
    enforceRkpValidity: config.enforceRkpValidity,
    statusList,
    policy: config.policy,
  });
}

/** A status list loaded once from a file (offline deployments and the CLI); a bad file is a configuration mistake (ConfigError naming android.revocation.file). */
function fileStatusList(path: string, clock: Clock): StatusListProvider {
  const option = 'android.revocation.file';
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw invalidConfiguration(`${option}: cannot read status list ${path}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw invalidConfiguration(`${option}: status list ${path} is not JSON`);
  }
  let list: StatusList;
  try {
    list = new StatusList(parsed, path);
  } catch (error) {
    // The constructor's TypeError is its verdict on the document, here a configured one.
    if (!(error instanceof TypeError)) throw error;
    throw invalidConfiguration(`${option}: ${error.message}`, { cause: error });
  }
  const readAt = clock.now();
  return { current: async () => list, state: () => ({ source: path, entries: list.size, fetchedAt: readAt }) };
}
