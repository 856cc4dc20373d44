import { mdvmError } from './errors.js';
import type { VulnerableDeviceClass } from '../../store/mdvm-store.js';

/** Facts of an Android attestation an account keeps for plausibility and vulnerability checks. */
export interface AndroidAttested {
  osVersion?: string;
  /** YYYY-MM or YYYY-MM-DD. */
  osPatchLevel?: string;
  appVersion?: number;
  attestationIdModel?: string;
  attestationIdProduct?: string;
  attestationIdDevice?: string;
  /** SHA-256 (hex) of every certificate key above the leaf: matched against the leaked-key list. */
  chainKeys: string[];
}

/** Numeric dotted versions ("15.0.0", "18.2"); undefined when not one. */
export function parseVersion(text: string | undefined): number[] | undefined {
  if (typeof text !== 'string' || !/^\d{1,6}(\.\d{1,6}){0,3}$/.test(text)) return undefined;
  return text.split('.').map(Number);
}

/** <0, 0, >0 like a comparator; missing trailing parts count as 0 ("18" = "18.0.0"). */
export function compareVersions(a: number[], b: number[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const difference = (a[i] ?? 0) - (b[i] ?? 0);
    if (difference !== 0) return difference;
  }
  return 0;
}

const violation = (detail: string) => mdvmError('SECURITY_VIOLATION', detail);

const ATTESTED_IDS = [
  ['attestationIdModel', 'model'],
  ['attestationIdProduct', 'product'],
  ['attestationIdDevice', 'device'],
] as const;

/** Where the device attested its ids (ID attestation), a reported wi_device_class model, product or device that differs is refused. */
export function checkAndroidDeviceClass(attested: AndroidAttested, deviceClass: Record<string, string>): void {
  for (const [id, field] of ATTESTED_IDS) {
    if (attested[id] !== undefined && deviceClass[field] !== undefined && deviceClass[field] !== attested[id]) {
      throw violation(
        `wi_device_class.${field} ${JSON.stringify(deviceClass[field]).slice(0, 40)} contradicts the attested ${attested[id]}`,
      );
    }
  }
}

/**
 * Renewal plausibility (docs/protocols/mdvm.md#renewal): the reported ids agree with the attested ones, the
 * device is the one that registered — attested model, product and device ids and the reported
 * ones unchanged — and OS version, patch level and app version never went down.
 */
export function checkAndroidRenewal(
  current: { attested: AndroidAttested; deviceClass: Record<string, string> },
  stored: { attested: AndroidAttested; deviceClass: Record<string, string> },
): void {
  checkAndroidDeviceClass(current.attested, current.deviceClass);
  for (const id of ['attestationIdModel', 'attestationIdProduct', 'attestationIdDevice'] as const) {
    if (stored.attested[id] !== undefined && current.attested[id] !== stored.attested[id]) {
      throw violation(`${id} changed from ${stored.attested[id]} to ${current.attested[id] ?? 'absent'}`);
    }
  }
  for (const field of ['model', 'product', 'device']) {
    if (stored.deviceClass[field] !== undefined && current.deviceClass[field] !== stored.deviceClass[field]) {
      throw violation(
        `wi_device_class.${field} changed from ${stored.deviceClass[field]} to ${current.deviceClass[field] ?? 'absent'}`,
      );
    }
  }
  const storedOs = parseVersion(stored.attested.osVersion);
  const currentOs = parseVersion(current.attested.osVersion);
  if (storedOs && (!currentOs || compareVersions(currentOs, storedOs) < 0)) {
    throw violation(`osVersion went from ${stored.attested.osVersion} to ${current.attested.osVersion ?? 'absent'}`);
  }
  const storedPatch = stored.attested.osPatchLevel?.slice(0, 7);
  const currentPatch = current.attested.osPatchLevel?.slice(0, 7);
  if (storedPatch && (!currentPatch || currentPatch < storedPatch)) {
    throw violation(`osPatchLevel went from ${storedPatch} to ${currentPatch ?? 'absent'}`);
  }
  if (
    stored.attested.appVersion !== undefined &&
    (current.attested.appVersion === undefined || current.attested.appVersion < stored.attested.appVersion)
  ) {
    throw violation(
      `app version went from ${stored.attested.appVersion} to ${current.attested.appVersion ?? 'absent'}`,
    );
  }
}

/** wi_device_class.systemVersion of an iOS instance, parsed; BAD_REQUEST when absent or not a version. */
export function iosSystemVersion(deviceClass: Record<string, string>): number[] {
  const version = parseVersion(deviceClass.systemVersion);
  if (!version)
    throw mdvmError(
      'BAD_REQUEST',
      `wi_device_class.systemVersion ${JSON.stringify(deviceClass.systemVersion)?.slice(0, 40)}`,
    );
  return version;
}

function checkIosMinimum(version: number[], text: string, minimum: string): void {
  if (compareVersions(version, parseVersion(minimum)!) < 0)
    throw mdvmError('OUTDATED_OS_VERSION', `iOS ${text} < ${minimum}`);
}

/**
 * Registration: the OS version Apple signed into the App Attest credential certificate decides
 * (minimum version, vulnerable classes), not the one the app reports. A certificate without it
 * is refused unless `allowUnsignedOsVersion` lets the reported one stand in; a report that
 * contradicts the signed version is refused. Returns the version accepted.
 */
export function checkIosRegistration(
  deviceClass: Record<string, string>,
  attestedOsVersion: string | undefined,
  options: { minOsVersion: string; allowUnsignedOsVersion: boolean },
): string {
  const reported = iosSystemVersion(deviceClass);
  if (attestedOsVersion === undefined) {
    if (!options.allowUnsignedOsVersion)
      throw violation('the credential certificate carries no OS version (mdvm.ios.allowUnsignedOsVersion is off)');
    checkIosMinimum(reported, deviceClass.systemVersion!, options.minOsVersion);
    return deviceClass.systemVersion!;
  }
  const attested = parseVersion(attestedOsVersion);
  if (!attested)
    throw violation(`the attested OS version ${JSON.stringify(attestedOsVersion).slice(0, 40)} is not a version`);
  if (compareVersions(reported, attested) !== 0)
    throw violation(`systemVersion ${deviceClass.systemVersion} contradicts the attested ${attestedOsVersion}`);
  checkIosMinimum(attested, attestedOsVersion, options.minOsVersion);
  return attestedOsVersion;
}

/**
 * Renewal (no new attestation): the same model, and the reported version at least the minimum
 * and never below the last one accepted — attested at registration or reported at a renewal.
 */
export function checkIosRenewal(
  current: Record<string, string>,
  minimum: string,
  stored: { deviceClass: Record<string, string>; attestedOsVersion?: string },
): void {
  const version = iosSystemVersion(current);
  checkIosMinimum(version, current.systemVersion!, minimum);
  const previous = stored.deviceClass;
  if (
    current.model !== previous.model ||
    (previous.hardwareModel !== undefined && current.hardwareModel !== previous.hardwareModel)
  ) {
    throw violation(
      `model changed from ${previous.model}/${previous.hardwareModel} to ${current.model}/${current.hardwareModel}`,
    );
  }
  for (const accepted of [stored.attestedOsVersion, previous.systemVersion]) {
    const parsed = parseVersion(accepted);
    if (parsed && compareVersions(version, parsed) < 0)
      throw violation(`systemVersion went from ${accepted} to ${current.systemVersion}`);
  }
}

/** What a device is matched on: Android by attested ids where present, else the reported ones. */
export interface DeviceIdentity {
  platform: 'android' | 'ios';
  models: string[];
  product?: string;
  /** Android patch level YYYY-MM, iOS system version. */
  level?: string;
}

export function androidIdentity(attested: AndroidAttested, deviceClass: Record<string, string>): DeviceIdentity {
  const model = attested.attestationIdModel ?? deviceClass.model;
  const product = attested.attestationIdProduct ?? deviceClass.product;
  return {
    platform: 'android',
    models: model ? [model] : [],
    ...(product ? { product } : {}),
    ...(attested.osPatchLevel ? { level: attested.osPatchLevel.slice(0, 7) } : {}),
  };
}

/** iOS: the reported models; the level is `osVersion` when given (the attested one at registration), else the reported systemVersion. */
export function iosIdentity(
  deviceClass: Record<string, string>,
  osVersion: string | undefined = deviceClass.systemVersion,
): DeviceIdentity {
  const models = [deviceClass.hardwareModel, deviceClass.model].filter(
    (model): model is string => typeof model === 'string' && model.length > 0,
  );
  return { platform: 'ios', models, ...(osVersion ? { level: osVersion } : {}) };
}

const lower = (values: unknown) => (Array.isArray(values) ? values.map((value) => String(value).toLowerCase()) : []);

/** Whether a vulnerable device class covers the device. An unknown level is inside any range (the safe side). */
export function classMatches(deviceClass: VulnerableDeviceClass, device: DeviceIdentity): boolean {
  if (deviceClass.platform !== device.platform) return false;
  const match = deviceClass.match;
  const models = lower(match.models);
  const products = lower(match.products);
  if (models.length > 0 && !device.models.some((model) => models.includes(model.toLowerCase()))) return false;
  if (products.length > 0 && !(device.product && products.includes(device.product.toLowerCase()))) return false;
  if (device.level === undefined) return true;
  if (device.platform === 'android') {
    const from = match.patchLevelFrom as string | undefined;
    const to = match.patchLevelTo as string | undefined;
    return !(from && device.level < from) && !(to && device.level > to);
  }
  const level = parseVersion(device.level);
  if (!level) return true;
  const from = parseVersion(match.versionFrom as string | undefined);
  const to = parseVersion(match.versionTo as string | undefined);
  return !(from && compareVersions(level, from) < 0) && !(to && compareVersions(level, to) > 0);
}

/** The class the device falls in, unfixable ones first; undefined when none. */
export function vulnerableClassOf(
  classes: readonly VulnerableDeviceClass[],
  device: DeviceIdentity,
): VulnerableDeviceClass | undefined {
  const matching = classes.filter((candidate) => classMatches(candidate, device));
  return matching.find((candidate) => candidate.classification === 'unfixable') ?? matching[0];
}

export function vulnerableError(deviceClass: VulnerableDeviceClass) {
  return deviceClass.classification === 'unfixable'
    ? mdvmError('DEVICE_VULNERABLE_UNFIXABLE', `class ${deviceClass.id}`)
    : mdvmError('DEVICE_VULNERABLE_FIXABLE', `class ${deviceClass.id}`);
}
