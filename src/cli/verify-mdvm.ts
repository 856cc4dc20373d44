import type { Command } from 'commander';
import { parseCertificate, pemCertificates } from '../crypto/x509/certificate.js';
import { secretsEqual } from '../http-kit/api-keys.js';
import { trustError } from '../errors.js';
import { parseInstant } from './byte-values.js';
import { UsageError } from './usage-error.js';
import { readInputJson, readInputText } from './input-files.js';
import { printVerification } from './verify-output.js';

interface MdvmRequestFlags {
  jwks?: string;
  root?: string;
  issuer: string;
  label: string;
  challenge: string;
  revocations?: string;
  at?: number;
}

/**
 * The request file: {"method", "path" (the request-target as sent), "headers": {name: value},
 * and "body" (text) or "bodyBase64"}.
 */
function readRequest(file: string) {
  const { method, path, headers, body, bodyBase64 } = readInputJson(file, 'request file') as Record<string, unknown>;
  if (typeof method !== 'string' || typeof path !== 'string' || typeof headers !== 'object' || headers === null) {
    throw new UsageError(`${file}: expected {"method", "path", "headers", "body" | "bodyBase64"}`);
  }
  const lowercase = Object.fromEntries(
    Object.entries(headers as Record<string, string>).map(([name, value]) => [name.toLowerCase(), String(value)]),
  );
  const raw =
    typeof bodyBase64 === 'string'
      ? Buffer.from(bodyBase64, 'base64')
      : Buffer.from(typeof body === 'string' ? body : '', 'utf8');
  return { message: { method, target: path, headers: lowercase }, body: raw };
}

/** `keyward verify mdvm-request`: a relying backend's check of a wallet request, offline. */
export function registerMdvmVerify(verify: Command): void {
  verify
    .command('mdvm-request')
    .description(
      "check a wallet's request to a relying backend: mdvm_token, HTTP signature with its cnf key, Content-Digest, challenge, revocation",
    )
    .argument('<request>', 'JSON file {"method", "path", "headers", "body" | "bodyBase64"}')
    .option('--jwks <file>', 'the MDVM JWKS (GET /v1/mdvm/jwks.json)')
    .option('--root <pem>', 'the MDVM root certificate (tokens carrying an x5c chain to it are accepted)')
    .requiredOption('--issuer <iss>', "the MDVM's issuer name (mdvm.issuer)")
    .requiredOption('--label <label>', "this backend's signature label, e.g. wpb-auth-sig")
    .requiredOption('--challenge <value>', 'the challenge this backend issued; Auth-Challenge must equal it')
    .option('--revocations <file>', 'a revocation list (GET /v1/mdvm/revocations) to check the instance against')
    .option('--at <ISO-8601>', 'verification time (default now)', parseInstant)
    .action(async (file: string, flags: MdvmRequestFlags) => {
      if (!flags.jwks && !flags.root) throw new UsageError('give --jwks or --root (or both)');
      const [{ keysFromJwks }, { MdvmRevocations, verifyMdvmRequest }] = await Promise.all([
        import('../features/mdvm/mdvm-token.js'),
        import('../features/mdvm/relying-backend.js'),
      ]);
      const request = readRequest(file);
      let trust: ConstructorParameters<typeof MdvmRevocations>[0];
      try {
        const root = flags.root ? pemCertificates(readInputText(flags.root, 'root'))[0] : undefined;
        if (flags.root && !root) throw new Error(`${flags.root} holds no PEM certificate`);
        trust = {
          issuer: flags.issuer,
          ...(flags.jwks ? { keys: keysFromJwks(readInputJson(flags.jwks, 'JWKS') as { keys?: unknown }) } : {}),
          ...(root ? { root: parseCertificate(root) } : {}),
        };
      } catch (error) {
        if (error instanceof UsageError) throw error;
        throw new UsageError((error as Error).message);
      }
      const now = flags.at ?? Date.now();
      await printVerification(async () => {
        const revocations = new MdvmRevocations(trust);
        if (flags.revocations) await revocations.apply(readInputText(flags.revocations, 'revocation list').trim(), now);
        const verified = await verifyMdvmRequest(request, {
          trust,
          label: flags.label,
          revocations,
          now,
          consumeChallenge: (challenge) => {
            if (!secretsEqual(challenge, flags.challenge))
              throw trustError('CHALLENGE_MISMATCH', 'The request does not carry the expected challenge.');
          },
        });
        return {
          mdvm_wi_id: verified.mdvmWiId,
          tokenFormat: verified.token.format,
          tokenExpires: new Date(verified.token.expiresAt * 1000).toISOString(),
          kid: verified.token.kid,
          covered: verified.signature.components,
          created: verified.signature.created,
        };
      });
    });
}
