import type { Command } from 'commander';
import { UsageError } from './usage-error.js';

export function registerSimulate(program: Command): void {
  const simulate = program.command('simulate').description('simulated devices against a running server (its test roots must be trusted: serve --trust-simulator-roots)');
  simulate
    .command('warden')
    .description('run the Warden flow (challenge → attested CSR → binding certificate) as a simulated device and print the server response')
    .requiredOption('--platform <platform>', 'android or ios')
    .requiredOption('--url <url>', 'base URL of the Keyward server, e.g. http://127.0.0.1:18013')
    .option('--policy <name>', 'named Warden policy')
    .option('--device-name <name>', 'device name sent in the generic device name attribute', 'Keyward Simulator')
    .option('--package <name>', 'Android package name in the attestation', 'com.example.wallet')
    .option('--app-id <TEAMID.bundleId>', 'App Attest app id', 'ABCDE12345.com.example.wallet')
    .option('--environment <environment>', 'App Attest environment: production or development', 'production')
    .action(async (flags: { platform: string; url: string; policy?: string; deviceName: string; package: string; appId: string; environment: string }) => {
      if (!['android', 'ios'].includes(flags.platform)) throw new UsageError('--platform must be android or ios');
      if (!['production', 'development'].includes(flags.environment)) throw new UsageError('--environment must be production or development');
      const { runWardenFlow } = await import('../simulator/warden-client.js');
      let device: Parameters<typeof runWardenFlow>[1];
      if (flags.platform === 'android') {
        const { AndroidDeviceSimulator } = await import('../simulator/android/device.js');
        device = { platform: 'android', device: await AndroidDeviceSimulator.create({ root: 'shipped' }), packageName: flags.package };
      } else {
        const [{ AppleTestAuthority }, { SimulatedAppleDevice }] = await Promise.all([import('../simulator/apple/test-authority.js'), import('../simulator/apple/device.js')]);
        const authority = await AppleTestAuthority.create({ roots: 'shipped' });
        device = { platform: 'ios', device: await SimulatedAppleDevice.create(authority, { appId: flags.appId, environment: flags.environment as 'production' }) };
      }
      let result;
      try {
        result = await runWardenFlow(flags.url, device, { deviceName: flags.deviceName, ...(flags.policy ? { policy: flags.policy } : {}) });
      } catch (error) {
        throw new UsageError(`cannot complete the flow against ${flags.url}: ${(error as Error).message}`);
      }
      process.stdout.write(`${JSON.stringify(result.response, null, 2)}\n`);
      process.exitCode = (result.response as { type?: string }).type === 'Success' ? 0 : 1;
    });
}
