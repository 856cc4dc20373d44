import { AndroidDeviceSimulator } from '../../src/simulator/android/device.js';
import { AppleTestAuthority } from '../../src/simulator/apple/test-authority.js';

/**
 * Simulators under the shipped test roots (what `--trust-simulator-roots` trusts), built once per
 * test file and shared: building them costs key generation and certificate signing, and neither
 * keeps state between attestations.
 */
let androidDevice: Promise<AndroidDeviceSimulator> | undefined;
let appleAuthority: Promise<AppleTestAuthority> | undefined;

/** One simulated Android device under the shipped root (its attestation intermediates). */
export const sharedAndroidDevice = () => (androidDevice ??= AndroidDeviceSimulator.create({ root: 'shipped' }));

/** One App Attest authority under the shipped roots, to create devices with. */
export const sharedAppleAuthority = () => (appleAuthority ??= AppleTestAuthority.create({ roots: 'shipped' }));
