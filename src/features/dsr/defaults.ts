import { readAsset } from '../../assets.js';
import { type DsrMasterData, parseMasterData } from '../../attestation/dsr/registration-claims.js';
import type { PolicyBundlePayload } from './bundles/bundle.js';
import type { PdpData } from './pdp/context.js';
import { DEFAULT_POLICIES } from './pdp/default-policies.js';

/**
 * Keyward's shipped DSR defaults (assets/dsr/, from gematik's proofs of concept, see SOURCES.md
 * there): the GMS master data, and the built-in policy bundle — version 0, the default Cedar
 * policies and the reference bundle's data (its Tor exit-node list empty) — in force until an
 * administrator pushes a signed one. Each call reads and parses afresh, so callers may change
 * what they get.
 */

export const DEFAULT_BUNDLE_VERSION = 0;

/** The reference bundle's data sections (android_data, ios_data, security_data). */
export function defaultBundleData(): PdpData {
  return JSON.parse(readAsset('dsr/default-bundle-data.json')) as PdpData;
}

/** The built-in bundle's payload: {version: 0, policies: DEFAULT_POLICIES, data}. */
export function defaultBundlePayload(): PolicyBundlePayload {
  return { version: DEFAULT_BUNDLE_VERSION, policies: DEFAULT_POLICIES, data: defaultBundleData() };
}

/** The reference GMS's master data (allowed packages and app ids, trusted SDK versions), checked. */
export function defaultMasterData(): DsrMasterData {
  return parseMasterData(JSON.parse(readAsset('dsr/master-data.json')));
}
