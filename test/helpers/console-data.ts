import { X509Certificate } from 'node:crypto';
import type { WardenSuccess } from '../../src/features/warden/schemas.js';
import type { SimulatedWalletInstance } from '../../src/simulator/mdvm-wallet.js';
import { runWardenFlow } from '../../src/simulator/warden-client.js';
import { register as registerCredential, authenticator, newUserName } from '../fido2/helpers.js';
import { androidWallet } from '../mdvm/helpers.js';
import { simulatedDevices } from '../warden/helpers.js';
import type { TestServer } from './server.js';

/** What the simulators left on a server, for console tests to find on its pages. */
export interface ConsoleData {
  /** Serials (lowercase hex, as the console shows them) of Warden binding certificates, one per attest. */
  certificates: { serial: string; platform: 'android' | 'apple' }[];
  /** Registered MDVM wallets (each renewed once). */
  wallets: SimulatedWalletInstance[];
  /** A WebAuthn credential, when the relying party runs. */
  credential?: { userName: string; credentialId: string };
}

/** Attests a simulated device with Warden; the issued certificate's serial. */
export async function attestedSerial(server: TestServer, platform: 'android' | 'ios'): Promise<string> {
  const devices = await simulatedDevices();
  const result = await runWardenFlow(server.url, devices[platform], { deviceName: `Console ${platform}` });
  if (result.status !== 200)
    throw new Error(`Warden attest answered ${result.status}: ${JSON.stringify(result.response)}`);
  const [leaf] = (result.response as WardenSuccess).certificateChain;
  return new X509Certificate(Buffer.from(leaf!, 'base64url')).serialNumber.toLowerCase();
}

/** Registers and renews a simulated Android wallet (its device model `model`). */
export async function renewedWallet(server: TestServer, model: string): Promise<SimulatedWalletInstance> {
  const wallet = await androidWallet({ model, product: 'kwconsole', device: 'kwconsole' });
  for (const step of [() => wallet.register(server.url), () => wallet.renew(server.url)]) {
    const reply = await step();
    if (reply.status !== 200) throw new Error(`MDVM answered ${reply.status}: ${JSON.stringify(reply.body)}`);
  }
  return wallet;
}

/**
 * Data made by the simulators over HTTP: `certificates` Warden attests (Android, then iOS,
 * alternating), one renewed wallet per model, and one WebAuthn registration (packed) when the
 * relying party runs. Then the decision log is flushed, so the console's pages show it all.
 */
export async function seedConsoleData(
  server: TestServer,
  options: { certificates: number; walletModels: string[] },
): Promise<ConsoleData> {
  const platforms = Array.from({ length: options.certificates }, (_, i): 'android' | 'ios' =>
    i % 2 === 0 ? 'android' : 'ios',
  );
  const [serials, wallets, credential] = await Promise.all([
    Promise.all(platforms.map((platform) => attestedSerial(server, platform))),
    Promise.all(options.walletModels.map((model) => renewedWallet(server, model))),
    server.services.fido2
      ? (async () => {
          const device = await authenticator({ format: 'packed' });
          const { userName, result } = await registerCredential(server, device, newUserName('console'));
          if (result.status !== 200) throw new Error(`WebAuthn registration answered ${result.status}`);
          return { userName, credentialId: result.body.credentialId ?? '' };
        })()
      : undefined,
  ]);
  await server.services.decisions.flush();
  return {
    certificates: serials.map((serial, i) => ({
      serial,
      platform: platforms[i] === 'android' ? 'android' : 'apple',
    })),
    wallets,
    ...(credential ? { credential } : {}),
  };
}
