import { X509Certificate } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { UsageError } from './usage-error.js';

/** What `keyward simulate provisioning` was asked to do. */
export interface ProvisioningSimulationOptions {
  /** Base URL of the Keyward server (POST <url>/mdlServer). */
  url: string;
  /** The provisioning code (e.g. 1001 of the test data). */
  code: string;
  /** Auth keys to certify (default 3). */
  authKeys: number;
  /** Where to write iaca.pem, issuer-signed.cbor, device-response.cbor and session-transcript.cbor. */
  out?: string;
}

/** How one flow ended, as the holder saw it. */
export interface SimulatedFlowEnd {
  /** EndSessionMessage reason: Success or Failed. */
  reason: string;
  /** The eSessionId the issuer gave the flow (absent when it refused the first message). */
  sessionId?: string;
}

/** The printed result: one entry per flow run; a refused flow stops the run. */
export interface ProvisioningSimulationResult {
  provisioning?: SimulatedFlowEnd & { docType?: string };
  certify?: SimulatedFlowEnd & { authKeys: number };
  presentation?: {
    dir: string;
    files: string[];
    /** Which certificate the presentation chains to in the directory: the IACA, or (when the server serves none) the document signer. */
    trust: 'iaca.pem' | 'document-signer.pem';
    note?: string;
  };
  update?: SimulatedFlowEnd & { result?: string };
  delete?: SimulatedFlowEnd | { skipped: string };
  /** The flow the issuer refused (its reply was EndSessionMessage Failed; the reason is in the server's log). */
  refused?: { flow: string; reason: string; sessionId?: string };
}

const FORM = 'application/x-www-form-urlencoded';

/**
 * Plays the Android identity-credential holder app through PROTOCOLS.md §7 against a server:
 * provisioning with `code`, certifying `authKeys` auth keys, (with `out`) a presentation made
 * with the first certified auth key, then update and delete. Each message is one POST
 * <url>/mdlServer with the body's CBOR sent as the app sends it (Content-Type
 * application/x-www-form-urlencoded). `ok` is false when the issuer ended a flow with Failed;
 * transport failures and replies that are not the protocol's throw.
 */
export async function simulateProvisioning(
  options: ProvisioningSimulationOptions,
): Promise<{ ok: boolean; result: ProvisioningSimulationResult }> {
  const [{ SimulatedIdentityCredentialHolder }, { readReply }] = await Promise.all([
    import('../simulator/provisioning/holder.js'),
    import('../simulator/provisioning/reply-messages.js'),
  ]);
  const base = options.url.replace(/\/+$/, '');
  const holder = await SimulatedIdentityCredentialHolder.create({ authKeyCount: options.authKeys });
  const result: ProvisioningSimulationResult = {};
  let sessionId: string | undefined;
  const exchange = async (request: Uint8Array): Promise<Uint8Array> => {
    const response = await fetch(`${base}/mdlServer`, {
      method: 'POST',
      headers: { 'content-type': FORM },
      body: request,
    });
    const reply = new Uint8Array(await response.arrayBuffer());
    const type = response.headers.get('content-type') ?? '';
    if (response.status !== 200 || !type.startsWith('application/cbor')) {
      const text = Buffer.from(reply.subarray(0, 300)).toString('utf8');
      throw new Error(`POST /mdlServer answered HTTP ${response.status} ${type}: ${text}`);
    }
    const id = readReply(reply).sessionId;
    if (id !== undefined) sessionId = id;
    return reply;
  };
  const run = async (flow: string, first: Uint8Array) => {
    sessionId = undefined;
    const end = await holder.converse(first, exchange);
    const ended = { reason: end.reason, ...(sessionId === undefined ? {} : { sessionId }) };
    if (end.reason !== 'Success') result.refused = { flow, ...ended };
    return { end, ended };
  };

  const provisioning = await run('provisioning', holder.startProvisioning(options.code));
  result.provisioning = {
    ...provisioning.ended,
    ...(provisioning.end.docType === undefined ? {} : { docType: provisioning.end.docType }),
  };
  if (result.refused) return { ok: false, result };
  const docType = holder.credentials.keys().next().value as string;

  const certify = await run('certify', holder.certifyAuthKeys(docType, options.authKeys));
  result.certify = { ...certify.ended, authKeys: options.authKeys };
  if (result.refused) return { ok: false, result };

  if (options.out !== undefined) result.presentation = await writePresentation(holder, docType, base, options.out);

  const update = await run('update', holder.updateCredential(docType));
  result.update = {
    ...update.ended,
    ...(update.end.updateResult === undefined ? {} : { result: update.end.updateResult }),
  };
  if (result.refused) return { ok: false, result };

  if (!holder.credentials.has(docType)) {
    result.delete = { skipped: 'the update flow deleted the credential (the document is marked for deletion)' };
    return { ok: true, result };
  }
  const deletion = await run('delete', holder.deleteCredential(docType));
  result.delete = deletion.ended;
  return { ok: !result.refused, result };
}

/** --out: the IACA (or the document signer), the IssuerSigned, and a presentation with auth key 0. */
async function writePresentation(
  holder: import('../simulator/provisioning/holder.js').SimulatedIdentityCredentialHolder,
  docType: string,
  base: string,
  out: string,
): Promise<NonNullable<ProvisioningSimulationResult['presentation']>> {
  const dir = resolve(out);
  mkdirSync(dir, { recursive: true });
  const issuerSigned = holder.issuerSigned(docType, 0);
  const presentation = holder.present(docType, { authKey: 0 });
  const files: Record<string, Uint8Array | string> = {
    'issuer-signed.cbor': issuerSigned,
    'device-response.cbor': presentation.deviceResponse,
    'session-transcript.cbor': presentation.sessionTranscript,
  };
  let trust: 'iaca.pem' | 'document-signer.pem' = 'iaca.pem';
  let note: string | undefined;
  const response = await fetch(`${base}/mdoc/iaca.pem`);
  const body = await response.text();
  if (response.status === 200 && body.includes('-----BEGIN CERTIFICATE-----')) {
    files['iaca.pem'] = body.endsWith('\n') ? body : `${body}\n`;
  } else {
    trust = 'document-signer.pem';
    note = `GET /mdoc/iaca.pem answered HTTP ${response.status}: document-signer.pem (from issuerAuth's x5chain) written instead; trust it directly`;
    files['document-signer.pem'] = await documentSignerPem(issuerSigned);
  }
  for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
  return { dir, files: Object.keys(files).sort(), trust, ...(note ? { note } : {}) };
}

/** The document signer certificate (x5chain's first) of an IssuerSigned's issuerAuth, as PEM. */
async function documentSignerPem(issuerSigned: Uint8Array): Promise<string> {
  const [{ decodePlain }, { coseSign1FromCbor }] = await Promise.all([
    import('../simulator/provisioning/wire.js'),
    import('../crypto/cose/sign1.js'),
  ]);
  const decoded = decodePlain(issuerSigned, 'IssuerSigned');
  const issuerAuth = decoded instanceof Map ? decoded.get('issuerAuth') : undefined;
  const leaf = coseSign1FromCbor(issuerAuth).x5chain?.[0];
  if (!leaf) throw new Error('issuerAuth carries no x5chain: no document signer certificate to write');
  return new X509Certificate(leaf).toString();
}

export function registerSimulateProvisioning(simulate: Command): void {
  simulate
    .command('provisioning')
    .description(
      'play the Android identity-credential holder through provisioning, certify auth keys, update and delete (POST <url>/mdlServer, PROTOCOLS.md §7) with a simulated CredentialKey attestation, and print how each flow ended (exit 0 all Success, 1 refused); --out writes iaca.pem, issuer-signed.cbor, device-response.cbor and session-transcript.cbor',
    )
    .requiredOption('--url <url>', 'base URL of the Keyward server, e.g. http://127.0.0.1:18013')
    .requiredOption('--code <code>', 'provisioning code (keyward mdoc codes issue; 1001 in the test data)')
    .option('--auth-keys <n>', 'auth keys to certify', '3')
    .option('--out <dir>', 'write the IACA, the IssuerSigned and a presentation (before the delete flow runs)')
    .action(async (flags: { url: string; code: string; authKeys: string; out?: string }) => {
      let parsed: URL;
      try {
        parsed = new URL(flags.url);
      } catch {
        throw new UsageError('--url must be an http(s) URL');
      }
      if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')
        throw new UsageError('--url must be an http(s) URL');
      if (flags.code.length === 0 || flags.code.length > 256) throw new UsageError('--code must be 1..256 characters');
      const authKeys = Number(flags.authKeys);
      if (!/^\d+$/.test(flags.authKeys) || !Number.isInteger(authKeys) || authKeys < 1 || authKeys > 1000)
        throw new UsageError('--auth-keys must be an integer 1..1000');
      let outcome: Awaited<ReturnType<typeof simulateProvisioning>>;
      try {
        outcome = await simulateProvisioning({
          url: flags.url,
          code: flags.code,
          authKeys,
          ...(flags.out === undefined ? {} : { out: flags.out }),
        });
      } catch (error) {
        const cause = (error as Error & { cause?: Error }).cause;
        throw new UsageError(
          `cannot complete the flow against ${flags.url}: ${(error as Error).message}${cause?.message ? ` (${cause.message})` : ''}`,
        );
      }
      const { refused: _refused, ...flows } = outcome.result;
      // The flows in the order they ran, then the refusal.
      const printed = { ...flows, ...(outcome.result.refused ? { refused: outcome.result.refused } : {}) };
      process.stdout.write(`${JSON.stringify(printed, null, 2)}\n`);
      const refused = outcome.result.refused;
      if (refused)
        process.stderr.write(
          `keyward: the issuer ended the ${refused.flow} flow with ${refused.reason}${refused.sessionId ? ` (eSessionId ${refused.sessionId})` : ''}; its log names the code\n`,
        );
      process.exitCode = outcome.ok ? 0 : 1;
    });
}
