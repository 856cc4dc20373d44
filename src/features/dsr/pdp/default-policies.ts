/**
 * Keyward's default DSR policy set: gematik's reference rules (the Rego policies of the DSR
 * proof of concept, test/vectors/dsr/policy-bundle/policies/) expressed in Cedar.
 *
 * Conventions every policy set for the PDP follows (compilePolicies checks them):
 * - one `permit` lets everything through that no `forbid` stops;
 * - each `forbid` carries `@id`, `@scope` ("token" | "device" | "security": the part of the
 *   verdict it denies), `@errorCode` and `@description`; its violation is reported in that part
 *   of the verdict unless it says `@violation("false")` (a denial the reference makes without
 *   naming a violation, such as a token that names no known platform);
 * - list and CIDR membership, the Tor exit-node list, the iOS version pattern and the patch-date
 *   comparison are computed in TypeScript (context.ts) from the bundle's data and passed in
 *   `context` as plain values; a derived value is absent when the token lacks what the
 *   reference's violation reports, so the rule errors, and an error denies that part of the
 *   verdict without a violation, as an undefined Rego rule does.
 */
export const DEFAULT_POLICIES = `// Everything is allowed unless a forbid below stops it.
@id("permit-unless-forbidden")
permit (principal, action, resource);

// api.rego: is_device_token_valid (input.deviceTokenValid == true).
@id("device-token-invalid")
@scope("token")
@errorCode("device_token_invalid")
@description("The DeviceToken is invalid")
forbid (principal, action, resource)
unless { context.deviceTokenValid };

// api.rego: allow_device needs iosPolicies.allow or androidPolicies.allow; a token of another
// (or no) type is denied without a violation (device_violations defaults to []).
@id("device-platform-unknown")
@scope("device")
@violation("false")
@errorCode("device_platform_unknown")
@description("The DeviceToken names neither an Android nor an iOS device")
forbid (principal, action, resource)
unless { principal.type == "ANDROID" || principal.type == "IOS" };

// android.rego: allowed_application_predicate (packageName, versionCode and the first signing
// certificate digest match an entry of android_data.allowedApplications).
@id("android-application")
@scope("device")
@errorCode("device_application_not_match")
@description("Android: the application (package name, version code, signing certificate) is not allowed")
forbid (principal, action, resource)
when { principal.type == "ANDROID" && !context.android.applicationAllowed };

// android.rego: build_model_predicate (build.model in android_data.allowedBuildModel).
@id("android-build-model")
@scope("device")
@errorCode("device_system_model_not_match")
@description("Android: the device build model is not allowed")
forbid (principal, action, resource)
when { principal.type == "ANDROID" && !context.android.buildModelAllowed };

// android.rego: attestation_security_level_predicate (1 = TRUSTED_ENVIRONMENT, 2 = STRONG_BOX;
// 0 = SOFTWARE is refused).
@id("android-attestation-security-level")
@scope("device")
@errorCode("device_attestation_security_level_not_match")
@description("Android: the security level of the key attestation is not allowed")
forbid (principal, action, resource)
when { principal.type == "ANDROID" && !([1, 2].contains(principal.attestationSecurityLevel)) };

// android.rego: build_version_security_patch_predicate (securityPatch >=
// android_data.minimumSecurityPatchLevel).
@id("android-security-patch")
@scope("device")
@errorCode("device_build_version_security_patch_violation")
@description("Android: the device's security patch level is older than the minimum required")
forbid (principal, action, resource)
when { principal.type == "ANDROID" && !context.android.securityPatchCurrent };

// android.rego: password_complexity_predicate (PASSWORD_COMPLEXITY_HIGH = 327680 or
// PASSWORD_COMPLEXITY_MEDIUM = 196608).
@id("android-password-complexity")
@scope("device")
@errorCode("device_password_complexity_not_match")
@description("Android: the device's password complexity is not allowed")
forbid (principal, action, resource)
when { principal.type == "ANDROID" && !([327680, 196608].contains(principal.passwordComplexity)) };

// ios.rego: system_model_predicate (systemModel in ios_data.allowedSystemModels).
@id("ios-system-model")
@scope("device")
@errorCode("device_system_model_not_match")
@description("iOS: the device system model is not allowed")
forbid (principal, action, resource)
when { principal.type == "IOS" && !context.ios.systemModelAllowed };

// ios.rego: system_version_predicate (systemVersion matches ^(17|16)(\\.[0-9]+)*$); context.ts
// passes the major version of a dotted decimal version, -1 for anything else.
@id("ios-system-version")
@scope("device")
@errorCode("device_system_version_not_match")
@description("iOS: the device system version is not allowed")
forbid (principal, action, resource)
when { principal.type == "IOS" && !([16, 17].contains(context.ios.systemVersionMajor)) };

// ios.rego: rpid_predicate (assertion.rpID in ios_data.allowedRpIDs); the reference's error
// code is spelled this way.
@id("ios-rp-id")
@scope("device")
@errorCode("device_pq_id_not_match")
@description("iOS: the hash of the app's App ID (rpID) does not match")
forbid (principal, action, resource)
when { principal.type == "IOS" && !context.ios.rpIdAllowed };

// security/policy.rego: blocked_client_ip (clientIP in security_data.blocklistClientIPs;
// Keyward's list also takes CIDRs).
@id("security-client-ip-blocked")
@scope("security")
@errorCode("request_client_ip_blocked")
@description("Security: the request's client IP is blocked")
forbid (principal, action, resource)
when { context.security.clientIpBlocked };

// security/policy.rego: country_code_allowed (countryCode in security_data.allowedCountryCodes).
@id("security-country-code")
@scope("security")
@errorCode("request_country_code_not_match")
@description("Security: the country determined from the client IP is not allowed")
forbid (principal, action, resource)
unless { context.security.countryCodeAllowed };

// security/policy.rego: tor_listed_client_ip (clientIP in security_data.torExitNodes).
@id("security-tor-exit-node")
@scope("security")
@errorCode("request_client_ip_not_allowed")
@description("Security: the request's client IP is a Tor exit node")
forbid (principal, action, resource)
when { context.security.torExitNode };

// security/policy.rego: blocked_user_identifier (the token's userIdentifier in
// security_data.blocklistUserIdentifier).
@id("security-user-blocked")
@scope("security")
@errorCode("user_identifier_not_allowed")
@description("Security: the user is blocked")
forbid (principal, action, resource)
when { context.security.userIdentifierBlocked };
`;
