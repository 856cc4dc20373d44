import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import type { Command } from 'commander';
import { UsageError } from './usage-error.js';

/** What `keyward simulate dsr` was asked to do. */
export interface DsrSimulationOptions {
  platform: 'android' | 'ios';
  /** Base URL of the server's plain listener (its /dsr/endpoints says where the rest is). */
  url: string;
  /** The PEP's auth_request URL; undefined: the endpoints' PEP with `profile`; false: ask no PEP. */
  pep?: string | false;
  profile: 'strict' | 'lax';
  kvnr?: string;
  /** PEM roots for the TLS listener's certificate; undefined: pin the fingerprint the endpoints announce. */
  ca?: string;
  clientIp: string;
  countryCode: string;
  originalUri: string;
  originalMethod: string;
  certificateHeader: string;
}

/** The printed result; `error` when the GMS refused a step. */
export interface DsrSimulationResult {
  endpoints?: { gms: string; mtls: string | null; pep: string };
  registration?: {
    platform: string;
    sub: string;
    userIdentifier: string;
    certificateSerial: string;
    certificateNotAfter: string;
    certificateIssuer: string;
  };
  deviceToken?: { claims: Record<string, unknown> };
  pep?: {
    url: string;
    status: number;
    decision?: unknown;
    deviceId?: string;
    userId?: string;
  };
  error?: { operation: string; status: number; errorCode?: string; description?: string; traceId?: string };
}

const KVNR = /^[A-Z][0-9]{9}$/;

/**
 * Registers a simulated health card's device (RFC-01), runs the resource-access flow (RFC-02:
 * device attestation over mutual TLS, device token) and asks the PEP as nginx's auth_request
 * would, with the token and the client certificate escaped as $ssl_client_escaped_cert.
 * `ok` is true when the PEP allowed (or none was asked). A GMS refusal ends the run with `error`;
 * network and TLS failures throw.
 */
export async function simulateDsr(
  options: DsrSimulationOptions,
): Promise<{ ok: boolean; result: DsrSimulationResult }> {
  const [{ GmsClient, GmsError }, { SimulatedHealthCard }] = await Promise.all([
    import('../simulator/dsr/gms-client.js'),
    import('../simulator/dsr/health-card.js'),
  ]);
  const result: DsrSimulationResult = {};
  const client = await GmsClient.discover(options.url.replace(/\/+$/, ''), options.ca ? { ca: options.ca } : {});
  try {
    const { gms, mtls, pep } = client.endpoints;
    result.endpoints = { gms, mtls, pep };
    const card = new SimulatedHealthCard(options.kvnr ? { kvnr: options.kvnr } : {});
    let device: import('../simulator/dsr/gms-client.js').GmsDevice;
    if (options.platform === 'android') {
      const { SimulatedDsrAndroidDevice } = await import('../simulator/dsr/android-device.js');
      device = await SimulatedDsrAndroidDevice.create();
    } else {
      const { SimulatedDsrIosDevice } = await import('../simulator/dsr/ios-device.js');
      device = await SimulatedDsrIosDevice.create();
    }
    let token: string;
    try {
      const certificate = new X509Certificate(await client.register(card, device));
      result.registration = {
        platform: device.platform,
        sub: device.sub,
        userIdentifier: card.kvnr,
        certificateSerial: certificate.serialNumber,
        certificateNotAfter: new Date(certificate.validTo).toISOString(),
        certificateIssuer: certificate.issuer.replaceAll('\n', ', '),
      };
      token = await client.deviceToken(device);
    } catch (error) {
      if (!(error instanceof GmsError)) throw error;
      result.error = { operation: error.operation, status: error.status, ...error.body };
      return { ok: false, result };
    }
    result.deviceToken = { claims: JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) };
    if (options.pep === false) return { ok: true, result };

    const url = options.pep ?? `${pep}/${options.profile}/auth_request`;
    const response = await fetch(url, {
      headers: {
        'x-device-token': token,
        'x-original-uri': options.originalUri,
        'x-original-method': options.originalMethod,
        'x-real-ip': options.clientIp,
        'x-country-code': options.countryCode,
        [options.certificateHeader]: encodeURIComponent(device.certificatePem!),
      },
    });
    await response.arrayBuffer();
    const answer: NonNullable<DsrSimulationResult['pep']> = { url, status: response.status };
    const pepResult = response.headers.get('x-pep-result');
    if (pepResult !== null) {
      try {
        answer.decision = JSON.parse(pepResult);
      } catch {
        answer.decision = pepResult;
      }
    }
    const deviceId = response.headers.get('x-device-id');
    const userId = response.headers.get('x-user-id');
    if (deviceId !== null) answer.deviceId = deviceId;
    if (userId !== null) answer.userId = userId;
    result.pep = answer;
    return { ok: response.status === 200, result };
  } finally {
    client.close();
  }
}

export function registerSimulateDsr(simulate: Command): void {
  simulate
    .command('dsr')
    .description(
      'register a simulated health card and device with the DSR GMS (RFC-01), get a device token over mutual TLS (RFC-02), ask the PEP as nginx would, and print the registration, the token claims and the decision (exit 0 allowed, 1 refused or denied)',
    )
    .requiredOption('--platform <platform>', 'android or ios')
    .requiredOption('--url <url>', 'base URL of the Keyward server (its plain listener), e.g. http://127.0.0.1:18013')
    .option('--pep <url>', "the PEP's auth_request URL (default: the endpoints' PEP, /pep/<profile>/auth_request)")
    .option('--no-pep', 'stop after the device token; ask no PEP')
    .option('--profile <profile>', 'PEP profile when --pep is not given: strict or lax', 'strict')
    .option('--kvnr <kvnr>', "the simulated health card's KVNR (the registration's user id)", 'X110000001')
    .option(
      '--ca <file>',
      "PEM roots of the TLS listener's certificate (default: pin the certificate the endpoints announce, as for a development server)",
    )
    .option('--client-ip <ip>', 'X-Real-IP sent to the PEP', '127.0.0.1')
    .option('--country-code <cc>', 'X-Country-Code sent to the PEP', 'DE')
    .option('--original-uri <uri>', 'X-Original-URI sent to the PEP', '/')
    .option('--original-method <method>', 'X-Original-Method sent to the PEP', 'GET')
    .option(
      '--certificate-header <name>',
      "header carrying the escaped client certificate (the server's dsr.clientCertificateHeader)",
      'x-client-certificate',
    )
    .action(
      async (flags: {
        platform: string;
        url: string;
        pep?: string | boolean;
        profile: string;
        kvnr: string;
        ca?: string;
        clientIp: string;
        countryCode: string;
        originalUri: string;
        originalMethod: string;
        certificateHeader: string;
      }) => {
        if (flags.platform !== 'android' && flags.platform !== 'ios')
          throw new UsageError('--platform must be android or ios');
        if (flags.profile !== 'strict' && flags.profile !== 'lax')
          throw new UsageError('--profile must be strict or lax');
        if (!KVNR.test(flags.kvnr)) throw new UsageError('--kvnr must be a KVNR: a capital letter and nine digits');
        if (isIP(flags.clientIp) === 0) throw new UsageError('--client-ip must be an IP address');
        if (!/^[A-Za-z0-9-]{1,64}$/.test(flags.certificateHeader))
          throw new UsageError('--certificate-header must be a header name');
        for (const [flag, value] of [
          ['--url', flags.url],
          ...(typeof flags.pep === 'string' ? [['--pep', flags.pep]] : []),
        ] as const) {
          let parsed: URL;
          try {
            parsed = new URL(value);
          } catch {
            throw new UsageError(`${flag} must be an http(s) URL`);
          }
          if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')
            throw new UsageError(`${flag} must be an http(s) URL`);
        }
        let ca: string | undefined;
        if (flags.ca) {
          try {
            ca = readFileSync(flags.ca, 'utf8');
          } catch (error) {
            throw new UsageError(`cannot read --ca ${flags.ca}: ${(error as Error).message}`);
          }
          if (!ca.includes('-----BEGIN CERTIFICATE-----'))
            throw new UsageError(`--ca ${flags.ca} holds no PEM certificate`);
        }
        let outcome: Awaited<ReturnType<typeof simulateDsr>>;
        try {
          outcome = await simulateDsr({
            platform: flags.platform,
            url: flags.url,
            pep: flags.pep === false ? false : typeof flags.pep === 'string' ? flags.pep : undefined,
            profile: flags.profile,
            kvnr: flags.kvnr,
            ...(ca ? { ca } : {}),
            clientIp: flags.clientIp,
            countryCode: flags.countryCode,
            originalUri: flags.originalUri,
            originalMethod: flags.originalMethod,
            certificateHeader: flags.certificateHeader.toLowerCase(),
          });
        } catch (error) {
          const cause = (error as Error & { cause?: Error }).cause;
          throw new UsageError(
            `cannot complete the flow against ${flags.url}: ${(error as Error).message}${cause?.message ? ` (${cause.message})` : ''}`,
          );
        }
        process.stdout.write(`${JSON.stringify(outcome.result, null, 2)}\n`);
        const refused = outcome.result.error;
        if (refused)
          process.stderr.write(
            `keyward: ${refused.operation} refused: HTTP ${refused.status} ${JSON.stringify({ errorCode: refused.errorCode, description: refused.description, traceId: refused.traceId })}\n`,
          );
        process.exitCode = outcome.ok ? 0 : 1;
      },
    );
}
