import { AppIds, isAppleAppId } from '../attestation/apple/app-ids.js';
import type { AppAttestEnvironment } from '../attestation/apple/environment.js';
import { AppleVerifier, type AppleVerifierOptions } from '../attestation/apple/verify.js';
import { TrustAnchors, type TrustAnchor } from '../crypto/x509/chain.js';
import type { AppleConfig } from './apple.js';
import { invalidConfiguration } from './config-error.js';
import { appleAppAttestationRoot, appleRootG3, configuredAnchors } from './trust-anchors.js';

/** Anchors a caller adds beyond configuration, e.g. a simulator's test roots; trusted only when passed here. */
export interface AppleExtraAnchors {
  extraAnchors?: TrustAnchor[];
  extraReceiptAnchors?: TrustAnchor[];
}

/** Verifier options from the `apple` configuration. Missing app ids or roots are configuration mistakes (ConfigError). */
export function appleVerifierOptions(config: AppleConfig, extras: AppleExtraAnchors = {}): AppleVerifierOptions {
  const anchors = [
    ...(config.appleRoots ? appleAppAttestationRoot() : []),
    ...configuredAnchors(config.extraRootFiles, 'apple.extraRootFiles'),
    ...(extras.extraAnchors ?? []),
  ];
  if (anchors.length === 0)
    throw invalidConfiguration(
      'apple: no attestation root is trusted (apple.appleRoots is false and apple.extraRootFiles is empty)',
    );
  const options: AppleVerifierOptions = {
    appIds: configuredAppIds(config.appIds),
    environment: config.environment,
    anchors: new TrustAnchors(anchors),
    maxChainLength: config.maxChainLength,
  };
  if (config.checkReceipts) {
    const receiptAnchors = [
      ...(config.appleRoots ? appleRootG3() : []),
      ...configuredAnchors(config.extraReceiptRootFiles, 'apple.extraReceiptRootFiles'),
      ...(extras.extraReceiptAnchors ?? []),
    ];
    if (receiptAnchors.length === 0)
      throw invalidConfiguration('apple.checkReceipts is on but no receipt root is trusted');
    options.receiptAnchors = new TrustAnchors(receiptAnchors);
  }
  return options;
}

/** The Apple verifier the `apple` configuration describes (see appleVerifierOptions). */
export const appleVerifierFromConfig = (config: AppleConfig, extras: AppleExtraAnchors = {}): AppleVerifier =>
  new AppleVerifier(appleVerifierOptions(config, extras));

/** An Apple verifier for these app ids and environment, with anchors, receipts and limits from configuration. */
export type AppleVerifierFor = (appIds: readonly string[], environment: AppAttestEnvironment | 'any') => AppleVerifier;

function configuredAppIds(appIds: readonly string[]): AppIds {
  if (appIds.length === 0)
    throw invalidConfiguration('apple.appIds is empty: App Attest verification needs at least one TEAMID.bundleId');
  for (const appId of appIds) {
    if (!isAppleAppId(appId))
      throw invalidConfiguration(`apple.appIds: ${JSON.stringify(appId)} is not TEAMID.bundleId`);
  }
  return new AppIds(appIds);
}
