import { SimulatedAppleDevice } from '../../src/simulator/apple/device.js';
import {
  SimulatedWalletInstance,
  type AndroidWalletState,
  type IosWalletState,
} from '../../src/simulator/mdvm-wallet.js';
import { SIMULATOR_APP_ID, startSimulatorServer, type TestServer, type TestServerOptions } from '../helpers/server.js';
import { sharedAndroidDevice, sharedAppleAuthority } from '../helpers/simulators.js';

export const OPERATOR_KEY = 'mdvm-operator-key-0123456789';

/** A simulator-trusting server with an operator key. */
export function startMdvmServer(options: TestServerOptions = {}): Promise<TestServer> {
  return startSimulatorServer({ ...options, options: { admin: { apiKeys: [OPERATOR_KEY] }, ...options.options } });
}

/** A wallet on the shared simulated Android device. */
export async function androidWallet(state: Partial<AndroidWalletState> = {}): Promise<SimulatedWalletInstance> {
  return SimulatedWalletInstance.forAndroid(await sharedAndroidDevice(), state);
}

/** A wallet on a fresh simulated Apple device (its own App Attest key and counter) under the shared authority. */
export async function iosWallet(state: Partial<IosWalletState> = {}): Promise<SimulatedWalletInstance> {
  return SimulatedWalletInstance.forIos(
    await SimulatedAppleDevice.create(await sharedAppleAuthority(), {
      appId: SIMULATOR_APP_ID,
      environment: 'production',
    }),
    state,
  );
}

/** An operator API call to a server (in-process or `keyward serve`): content-type only when there is a body. */
export async function operator(
  { url }: { url: string },
  method: 'GET' | 'POST' | 'DELETE',
  path: string,
  body?: unknown,
): Promise<{ status: number; body: any }> {
  const response = await fetch(`${url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${OPERATOR_KEY}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined };
}
