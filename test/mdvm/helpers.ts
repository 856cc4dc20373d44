import { AndroidDeviceSimulator } from '../../src/simulator/android/device.js';
import { SimulatedAppleDevice } from '../../src/simulator/apple/device.js';
import { AppleTestAuthority } from '../../src/simulator/apple/test-authority.js';
import { SimulatedWalletInstance, type AndroidWalletState, type IosWalletState } from '../../src/simulator/mdvm-wallet.js';
import { SIMULATOR_APP_ID, startSimulatorServer, type TestServer, type TestServerOptions } from '../helpers/server.js';

export const APP_ID = SIMULATOR_APP_ID;
export const OPERATOR_KEY = 'mdvm-operator-key-0123456789';

/** A simulator-trusting server with an operator key. */
export function startMdvmServer(options: TestServerOptions = {}): Promise<TestServer> {
  return startSimulatorServer({ ...options, options: { admin: { apiKeys: [OPERATOR_KEY] }, ...options.options } });
}

let androidDevice: Promise<AndroidDeviceSimulator> | undefined;
let appleAuthority: Promise<AppleTestAuthority> | undefined;

/** One simulated Android device (its attestation intermediates) shared by the tests' wallets. */
export const sharedAndroidDevice = () => (androidDevice ??= AndroidDeviceSimulator.create({ root: 'shipped' }));

export async function androidWallet(state: Partial<AndroidWalletState> = {}): Promise<SimulatedWalletInstance> {
  return SimulatedWalletInstance.forAndroid(await sharedAndroidDevice(), state);
}

export async function iosWallet(state: Partial<IosWalletState> = {}): Promise<SimulatedWalletInstance> {
  const authority = await (appleAuthority ??= AppleTestAuthority.create({ roots: 'shipped' }));
  return SimulatedWalletInstance.forIos(await SimulatedAppleDevice.create(authority, { appId: APP_ID, environment: 'production' }), state);
}

/** An operator API call. */
export async function operator(server: TestServer, method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const response = await fetch(`${server.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${OPERATOR_KEY}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined };
}
