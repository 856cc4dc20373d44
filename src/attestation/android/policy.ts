import { timeError, trustError } from '../../errors.js';
import { KEY_PURPOSE } from './constants.js';
import type { AuthorizationList, KeyDescription } from './key-description.js';

/** An app allowed to attest. */
export interface AndroidApp {
  packageName: string;
  /** SHA-256 digests (hex) of the app signing certificates; any one must match. Empty accepts any signer. */
  signerDigests: string[];
  /** Lowest accepted versionCode. */
  minVersion: number;
}

/**
 * The device and app requirements an Android attestation must meet. The configuration schema
 * (android.policy) documents each one and is checked to stay assignable to this type.
 */
export interface AndroidPolicy {
  /** Empty accepts any app. */
  apps: AndroidApp[];
  requireStrongBox: boolean;
  requireLockedBootloader: boolean;
  /** verifiedBootKey digests (hex) admitted with SelfSigned boot. */
  allowedSelfSignedBootKeys: string[];
  /** 0 = any. */
  minOsVersion: number;
  /** YYYY-MM; empty = any. */
  minPatchLevel: string;
  /** 0 = off. */
  maxPatchAgeMonths: number;
  maxPatchMonthsAhead: number;
  requireRkp: boolean;
  /** 0 = off. */
  maxStatementAgeSeconds: number;
  requireGeneratedKey: boolean;
}

export interface PolicyContext {
  /** Verification time, epoch ms. */
  at: number;
  rkp: boolean;
  allowSoftwareAttestation: boolean;
}

/**
 * A device or key fact (boot state, OS, patch level, origin): from the hardware-enforced list;
 * from the software-enforced list only when software attestation is acceptable at all, since
 * there the OS rather than secure hardware vouches for it.
 */
export function enforcedFact<K extends keyof AuthorizationList>(
  record: KeyDescription,
  key: K,
  allowSoftware: boolean,
): AuthorizationList[K] {
  return record.hardwareEnforced[key] ?? (allowSoftware ? record.softwareEnforced[key] : undefined);
}

/** Facts the OS states in softwareEnforced on every device (creation time, app identity), wherever they are. */
export const fact = <K extends keyof AuthorizationList>(record: KeyDescription, key: K): AuthorizationList[K] =>
  record.softwareEnforced[key] ?? record.hardwareEnforced[key];

/** YYYYMM or YYYYMMDD → months since year 0, for comparisons. */
export function patchMonth(level: number | undefined): number | undefined {
  if (level === undefined || level <= 0) return undefined;
  const text = String(level);
  if (text.length !== 6 && text.length !== 8) return undefined;
  const year = Number(text.slice(0, 4));
  const month = Number(text.slice(4, 6));
  return month >= 1 && month <= 12 ? year * 12 + month - 1 : undefined;
}

const monthOf = (epochMs: number) => {
  const date = new Date(epochMs);
  return date.getUTCFullYear() * 12 + date.getUTCMonth();
};

const hex = (base64: string) => Buffer.from(base64, 'base64').toString('hex');

/** Device requirements, checked on every attestation record of the chain (the leaf's and any attest key's). */
export function checkDevice(record: KeyDescription, policy: AndroidPolicy, context: PolicyContext): void {
  const levels = [record.attestationSecurityLevel, record.keyMintSecurityLevel];
  if (!context.allowSoftwareAttestation && levels.includes('SOFTWARE')) {
    throw trustError('SOFTWARE_SECURITY_LEVEL', 'The key is not protected by secure hardware.', {
      detail: `security levels ${levels.join('/')}`,
    });
  }
  if (policy.requireStrongBox && levels.some((level) => level !== 'STRONG_BOX')) {
    throw trustError('STRONGBOX_REQUIRED', 'The key must be protected by StrongBox.', {
      detail: `security levels ${levels.join('/')}`,
    });
  }

  if (policy.requireLockedBootloader) {
    const root = enforcedFact(record, 'rootOfTrust', context.allowSoftwareAttestation);
    if (!root) throw trustError('ROOT_OF_TRUST_MISSING', 'The attestation does not state the device boot state.');
    if (!root.deviceLocked) throw trustError('BOOTLOADER_UNLOCKED', 'The device bootloader is unlocked.');
    if (root.verifiedBootState === 'SELF_SIGNED') {
      const key = hex(root.verifiedBootKey).toLowerCase();
      if (!policy.allowedSelfSignedBootKeys.some((allowed) => allowed.toLowerCase() === key)) {
        throw trustError(
          'BOOT_KEY_NOT_ALLOWED',
          'The device runs an operating system signed with a key that is not allowed.',
          { detail: `verifiedBootKey ${key}` },
        );
      }
    } else if (root.verifiedBootState !== 'VERIFIED') {
      throw trustError('BOOT_STATE_NOT_VERIFIED', 'The device did not boot a verified operating system.', {
        detail: `verifiedBootState ${root.verifiedBootState}`,
      });
    }
  }

  const osVersion = enforcedFact(record, 'osVersion', context.allowSoftwareAttestation);
  if (policy.minOsVersion > 0 && (typeof osVersion !== 'number' || osVersion < policy.minOsVersion)) {
    throw trustError('OS_VERSION_TOO_OLD', 'The device operating system version is too old.', {
      detail: `osVersion ${osVersion ?? 'absent'} < ${policy.minOsVersion}`,
    });
  }

  const osPatchLevel = enforcedFact(record, 'osPatchLevel', context.allowSoftwareAttestation);
  const patch = patchMonth(osPatchLevel);
  const now = monthOf(context.at);
  const minimum = policy.minPatchLevel
    ? Number(policy.minPatchLevel.slice(0, 4)) * 12 + Number(policy.minPatchLevel.slice(5, 7)) - 1
    : undefined;
  const needsPatch = minimum !== undefined || policy.maxPatchAgeMonths > 0;
  if (needsPatch && patch === undefined) {
    throw trustError('PATCH_LEVEL_TOO_OLD', 'The device security patch level is too old.', {
      detail: 'osPatchLevel absent or malformed',
    });
  }
  if (patch !== undefined) {
    if (
      (minimum !== undefined && patch < minimum) ||
      (policy.maxPatchAgeMonths > 0 && now - patch > policy.maxPatchAgeMonths)
    ) {
      throw trustError('PATCH_LEVEL_TOO_OLD', 'The device security patch level is too old.', {
        detail: `osPatchLevel ${osPatchLevel}`,
      });
    }
    if (patch - now > policy.maxPatchMonthsAhead) {
      throw trustError('PATCH_LEVEL_IN_FUTURE', 'The device security patch level lies in the future.', {
        detail: `osPatchLevel ${osPatchLevel}`,
      });
    }
  }
}

/**
 * A certificate above the leaf that carries an attestation record certifies an attest key
 * (KeyMint 200+). Its key must be one made for attestation alone — purpose ATTEST_KEY and no
 * other, as KeyMint enforces — because KeyMint signs with such a key only the certificates it
 * builds itself. Any other app key (a signing key) could sign a forged leaf certificate
 * carrying whatever record its owner wrote.
 */
export function checkAttestKey(record: KeyDescription, certificate: number, allowSoftware: boolean): void {
  const purposes = enforcedFact(record, 'purposes', allowSoftware);
  if (!Array.isArray(purposes) || purposes.length !== 1 || purposes[0] !== KEY_PURPOSE.ATTEST_KEY) {
    throw trustError(
      'NOT_AN_ATTEST_KEY',
      'A certificate in the chain was signed by a key that is not an attestation key.',
      {
        detail: `certificate ${certificate} carries an attestation record with purposes ${JSON.stringify(purposes ?? null)}`,
      },
    );
  }
}

/** Requirements on the attested key and the app that owns it: checked on the leaf's record. */
export function checkKeyAndApp(leaf: KeyDescription, policy: AndroidPolicy, context: PolicyContext): void {
  if (policy.requireRkp && !context.rkp)
    throw trustError('RKP_REQUIRED', 'The attestation must come from a remotely provisioned key.');

  const origin = enforcedFact(leaf, 'origin', context.allowSoftwareAttestation);
  if (policy.requireGeneratedKey && origin !== 'GENERATED') {
    throw trustError('KEY_NOT_GENERATED', 'The key was not generated on the device.', {
      detail: `origin ${origin ?? 'absent'}`,
    });
  }

  if (policy.maxStatementAgeSeconds > 0) {
    const created = fact(leaf, 'creationDateTime');
    if (typeof created !== 'number')
      throw timeError('STATEMENT_AGE_UNKNOWN', 'The attestation does not say when the key was created.');
    if (context.at - created > policy.maxStatementAgeSeconds * 1000) {
      throw timeError('STATEMENT_TOO_OLD', 'The attested key was created too long ago.', {
        detail: `created ${new Date(created).toISOString()}`,
      });
    }
  }

  if (policy.apps.length === 0) return;
  const application = fact(leaf, 'attestationApplicationId');
  if (!application) throw trustError('APPLICATION_ID_MISSING', 'The attestation does not identify the app.');
  const matching = policy.apps.filter((app) => application.packages.some((info) => info.name === app.packageName));
  if (matching.length === 0) {
    throw trustError('PACKAGE_NOT_ALLOWED', 'The app is not allowed.', {
      detail: `packages ${application.packages.map((p) => p.name).join(', ')}`,
    });
  }
  const signers = application.signatures.map((signature) => hex(signature).toLowerCase());
  const signed = matching.filter(
    (app) =>
      app.signerDigests.length === 0 || app.signerDigests.some((digest) => signers.includes(digest.toLowerCase())),
  );
  if (signed.length === 0)
    throw trustError('SIGNER_NOT_ALLOWED', 'The app is not signed with an allowed certificate.', {
      detail: `signers ${signers.join(', ')}`,
    });
  const recent = signed.filter((app) =>
    application.packages.some(
      (info) => info.name === app.packageName && BigInt(info.version) >= BigInt(app.minVersion),
    ),
  );
  if (recent.length === 0) {
    throw trustError('APP_VERSION_TOO_OLD', 'The app version is too old.', {
      detail: `versions ${application.packages.map((p) => `${p.name}@${p.version}`).join(', ')}`,
    });
  }
}
