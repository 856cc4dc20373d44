import type { Command } from 'commander';
import { SIMULATOR_APP_ID, SIMULATOR_PACKAGE } from '../simulator/defaults.js';
import { SIMULATED_FORMATS, type SimulatedFormat } from '../simulator/webauthn/models.js';
import type { CoseAlgorithmName } from '../simulator/webauthn/credential-key.js';
import { registerSimulateDsr } from './simulate-dsr.js';
import { registerSimulateProvisioning } from './simulate-provisioning.js';
import { UsageError } from './usage-error.js';

export function registerSimulate(program: Command): void {
  const simulate = program
    .command('simulate')
    .description(
      'simulated devices against a running server (its test roots must be trusted: serve --trust-simulator-roots)',
    );
  simulate
    .command('warden')
    .description(
      'run the Warden flow (challenge → attested CSR → binding certificate) as a simulated device and print the server response',
    )
    .requiredOption('--platform <platform>', 'android or ios')
    .requiredOption('--url <url>', 'base URL of the Keyward server, e.g. http://127.0.0.1:18013')
    .option('--policy <name>', 'named Warden policy')
    .option('--device-name <name>', 'device name sent in the generic device name attribute', 'Keyward Simulator')
    .option('--package <name>', 'Android package name in the attestation', SIMULATOR_PACKAGE)
    .option('--app-id <TEAMID.bundleId>', 'App Attest app id', SIMULATOR_APP_ID)
    .option('--environment <environment>', 'App Attest environment: production or development', 'production')
    .action(
      async (flags: {
        platform: string;
        url: string;
        policy?: string;
        deviceName: string;
        package: string;
        appId: string;
        environment: string;
      }) => {
        if (!['android', 'ios'].includes(flags.platform)) throw new UsageError('--platform must be android or ios');
        if (!['production', 'development'].includes(flags.environment))
          throw new UsageError('--environment must be production or development');
        const { runWardenFlow } = await import('../simulator/warden-client.js');
        let device: Parameters<typeof runWardenFlow>[1];
        if (flags.platform === 'android') {
          const { AndroidDeviceSimulator } = await import('../simulator/android/device.js');
          device = {
            platform: 'android',
            device: await AndroidDeviceSimulator.create({ root: 'shipped' }),
            packageName: flags.package,
          };
        } else {
          const [{ AppleTestAuthority }, { SimulatedAppleDevice }] = await Promise.all([
            import('../simulator/apple/test-authority.js'),
            import('../simulator/apple/device.js'),
          ]);
          const authority = await AppleTestAuthority.create({ roots: 'shipped' });
          device = {
            platform: 'ios',
            device: await SimulatedAppleDevice.create(authority, {
              appId: flags.appId,
              environment: flags.environment as 'production',
            }),
          };
        }
        let result: Awaited<ReturnType<typeof runWardenFlow>>;
        try {
          result = await runWardenFlow(flags.url, device, {
            deviceName: flags.deviceName,
            ...(flags.policy ? { policy: flags.policy } : {}),
          });
        } catch (error) {
          throw new UsageError(`cannot complete the flow against ${flags.url}: ${(error as Error).message}`);
        }
        process.stdout.write(`${JSON.stringify(result.response, null, 2)}\n`);
        process.exitCode = (result.response as { type?: string }).type === 'Success' ? 0 : 1;
      },
    );

  simulate
    .command('mdvm')
    .description('register a simulated wallet instance with the MDVM, renew it, and print every response')
    .requiredOption('--platform <platform>', 'android or ios')
    .requiredOption('--url <url>', 'base URL of the Keyward server')
    .option('--renewals <n>', 'renewals after the registration', (value) => Number(value), 1)
    .option('--app-id <TEAMID.bundleId>', 'App Attest app id (iOS)', SIMULATOR_APP_ID)
    .action(async (flags: { platform: string; url: string; renewals: number; appId: string }) => {
      if (!['android', 'ios'].includes(flags.platform)) throw new UsageError('--platform must be android or ios');
      if (!Number.isInteger(flags.renewals) || flags.renewals < 0 || flags.renewals > 100)
        throw new UsageError('--renewals must be 0..100');
      const { SimulatedWalletInstance } = await import('../simulator/mdvm-wallet.js');
      let wallet: ReturnType<typeof SimulatedWalletInstance.forAndroid>;
      if (flags.platform === 'android') {
        const { AndroidDeviceSimulator } = await import('../simulator/android/device.js');
        wallet = SimulatedWalletInstance.forAndroid(await AndroidDeviceSimulator.create({ root: 'shipped' }));
      } else {
        const [{ AppleTestAuthority }, { SimulatedAppleDevice }] = await Promise.all([
          import('../simulator/apple/test-authority.js'),
          import('../simulator/apple/device.js'),
        ]);
        wallet = SimulatedWalletInstance.forIos(
          await SimulatedAppleDevice.create(await AppleTestAuthority.create({ roots: 'shipped' }), {
            appId: flags.appId,
            environment: 'production',
          }),
        );
      }
      const url = flags.url.replace(/\/+$/, '');
      const steps: { step: string; status: number; body: unknown }[] = [];
      try {
        steps.push({ step: 'register', ...(await wallet.register(url)) });
        for (let i = 0; i < flags.renewals && steps.at(-1)!.status === 200; i++)
          steps.push({ step: `renewal ${i + 1}`, ...(await wallet.renew(url)) });
      } catch (error) {
        throw new UsageError(`cannot complete the flow against ${flags.url}: ${(error as Error).message}`);
      }
      process.stdout.write(`${JSON.stringify(steps, null, 2)}\n`);
      process.exitCode = steps.every((step) => step.status === 200) ? 0 : 1;
    });
  simulate
    .command('webauthn')
    .description(
      'register a simulated authenticator through the FIDO2 conformance API, sign in with it, and print every response',
    )
    .requiredOption('--url <url>', 'base URL of the Keyward server, e.g. http://localhost:18013')
    .requiredOption('--format <format>', `attestation format: ${SIMULATED_FORMATS.join(', ')}`)
    .option('--username <name>', 'user name to register', 'simulated-user')
    .option(
      '--algorithm <alg>',
      'credential algorithm (ES256, ES384, RS256, PS256, EdDSA, as the format allows)',
      'ES256',
    )
    .option('--self', 'packed self attestation instead of a certificate chain')
    .option('--usernameless', 'sign in with a discoverable credential, without a user name')
    .option('--sign-ins <n>', 'sign-ins after the registration', (value) => Number(value), 1)
    .option('--origin <origin>', 'origin in clientDataJSON (default: the URL with the RP ID as host)')
    .action(
      async (flags: {
        url: string;
        format: string;
        username: string;
        algorithm: string;
        self?: boolean;
        usernameless?: boolean;
        signIns: number;
        origin?: string;
      }) => {
        if (!(SIMULATED_FORMATS as readonly string[]).includes(flags.format))
          throw new UsageError(`--format must be one of ${SIMULATED_FORMATS.join(', ')}`);
        if (!Number.isInteger(flags.signIns) || flags.signIns < 0 || flags.signIns > 100)
          throw new UsageError('--sign-ins must be 0..100');
        const { simulateWebAuthn } = await import('../simulator/webauthn/client.js');
        let result: Awaited<ReturnType<typeof simulateWebAuthn>>;
        try {
          result = await simulateWebAuthn({
            url: flags.url.replace(/\/+$/, ''),
            format: flags.format as SimulatedFormat,
            username: flags.username,
            algorithm: flags.algorithm as CoseAlgorithmName,
            selfAttestation: flags.self === true,
            usernameless: flags.usernameless === true,
            signIns: flags.signIns,
            ...(flags.origin ? { origin: flags.origin } : {}),
          });
        } catch (error) {
          throw new UsageError(`cannot complete the flow against ${flags.url}: ${(error as Error).message}`);
        }
        process.stdout.write(`${JSON.stringify(result.steps, null, 2)}\n`);
        process.exitCode = result.ok ? 0 : 1;
      },
    );
  registerSimulateDsr(simulate);
  registerSimulateProvisioning(simulate);
}
