import { TrustAnchors, type TrustAnchor } from '../../crypto/x509/chain.js';
import type { AppleConfig } from '../../config/apple.js';
import { invalidConfiguration } from '../../config/config-error.js';
import { AppIds } from './app-ids.js';
import type { AppAttestEnvironment } from './environment.js';
import { configuredAnchors } from '../shipped-roots.js';
import { appleAppAttestationRoot, appleRootG3 } from './roots.js';

export interface AppleVerifierOptions {
  appIds: AppIds;
  environment: AppAttestEnvironment | 'any';
  /** Roots credential certificates must chain to. */
  anchors: TrustAnchors;
  /** Roots receipts must chain to; absent when receipts are not checked. */
  receiptAnchors?: TrustAnchors;
  maxChainLength: number;
}

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
  if (anchors.length === 0) throw invalidConfiguration('apple: no attestation root is trusted (apple.appleRoots is false and apple.extraRootFiles is empty)');
  const options: AppleVerifierOptions = {
    appIds: new AppIds(config.appIds),
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
    if (receiptAnchors.length === 0) throw invalidConfiguration('apple.checkReceipts is on but no receipt root is trusted');
    options.receiptAnchors = new TrustAnchors(receiptAnchors);
  }
  return options;
}
