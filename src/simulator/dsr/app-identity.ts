/**
 * The identity the simulated DSR clients present: gematik's reference apps as the reference
 * master data (masterData.json) and the shipped default policy bundle allow them.
 */

/** The reference Android app's package and version code. */
export const DSR_ANDROID_PACKAGE = 'de.gematik.dsr.android';
export const DSR_ANDROID_VERSION_CODE = 1;
/** SHA-256 of the reference app's signing certificate, unpadded base64url as the Play Integrity verdict and the master data write it. */
export const DSR_ANDROID_SIGNER_DIGEST = 'Br8MmBmVeijVKv77d2_UxosqaKD0F2IyTJ-Ak04IhBI';
/** The reference iOS app's App ID (TEAMID.bundle). */
export const DSR_IOS_APP_ID = 'A9FL89PFFL.de.gematik.dsr';
/** iss of the reference SDK (TrustSDK_<version>; "1.0" is among the master data's trusted versions). */
export const DSR_SDK_ISSUER = 'TrustSDK_1.0';
