import { createPublicKey, type KeyObject } from 'node:crypto';
import { InvalidArgumentError, Option, type Command } from 'commander';
import { isAppleAppId } from '../attestation/apple/app-ids.js';
import { describeKeyObject } from '../attestation/apple/public-key.js';
import { verifyAppleAssertion } from '../attestation/apple/verify-assertion.js';
import { appleVerifierFromConfig } from '../config/apple-verifier.js';
import { loadConfig } from '../config/load.js';
import { ecPoint, sha256 } from '../crypto/keys.js';
import { collect, parseByteValue, parseInstant } from './byte-values.js';
import { UsageError } from './usage-error.js';
import { parseInputJson, readInputFile } from './input-files.js';
import { printVerification } from './verify-output.js';

const BYTES_HELP = 'b64:, b64url:, hex: or utf8: prefix; base64 without one';

function parseAppId(text: string): string {
  if (!isAppleAppId(text))
    throw new InvalidArgumentError('not an app id of the form TEAMID.bundleId (ten-character team id)');
  return text;
}

function parseCounter(text: string): number {
  const counter = Number(text);
  if (!/^\d+$/.test(text) || counter > 0xffffffff) throw new InvalidArgumentError('not a counter (0 to 4294967295)');
  return counter;
}

/** The attestation file: JSON {"attestation": "<base64 CBOR>"} or the raw CBOR itself. */
function readAttestation(file: string): Buffer {
  const content = readInputFile(file, 'attestation file');
  const text = content.toString('utf8');
  if (text.trimStart().startsWith('{')) {
    const attestation = (parseInputJson(text, file) as { attestation?: unknown }).attestation;
    if (typeof attestation !== 'string') throw new UsageError(`${file}: expected {"attestation": "<base64 CBOR>"}`);
    try {
      return parseByteValue(`b64:${attestation}`);
    } catch (error) {
      throw new UsageError(`${file}: attestation is ${(error as Error).message}`);
    }
  }
  return content;
}

function readP256Key(file: string): KeyObject {
  let key: KeyObject;
  try {
    key = createPublicKey(readInputFile(file, 'public key file'));
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new UsageError(`${file} holds no PEM public key: ${(error as Error).message}`);
  }
  if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
    throw new UsageError(`${file}: App Attest keys are EC P-256 keys`);
  }
  return key;
}

interface AttestOptions {
  clientData: Buffer;
  appId: string;
  env: 'production' | 'development' | 'any';
  at?: number;
  keyId?: Buffer;
  extraRoot: string[];
  extraReceiptRoot: string[];
  receiptCheck: boolean;
}

interface AssertOptions {
  assertion: Buffer;
  publicKey: string;
  clientData: Buffer;
  appId: string;
  previousCounter: number;
}

/** The verifier of the documented defaults with the flags applied; unreadable root files are usage errors. */
function appleVerifier(flags: AttestOptions) {
  try {
    return appleVerifierFromConfig({
      ...loadConfig({ env: {} }).config.apple,
      appIds: [flags.appId],
      environment: flags.env,
      extraRootFiles: flags.extraRoot,
      extraReceiptRootFiles: flags.extraReceiptRoot,
      checkReceipts: flags.receiptCheck,
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

/** `keyward verify app-attest` and `keyward verify app-attest-assertion`. */
export function registerAppleVerify(verify: Command): void {
  verify
    .command('app-attest')
    .description('verify an Apple App Attest attestation (docs/protocols/apple-app-attest.md) offline')
    .argument('<file>', 'JSON {"attestation": "<base64 CBOR>"} or the raw CBOR attestation object')
    .requiredOption('--client-data <value>', `the exact bytes the app hashed (${BYTES_HELP})`, parseByteValue)
    .requiredOption('--app-id <TEAMID.bundleId>', 'the app id the attestation must be for', parseAppId)
    .addOption(
      new Option('--env <environment>', 'App Attest environment to accept')
        .choices(['production', 'development', 'any'])
        .default('production'),
    )
    .option('--at <ISO-8601>', 'verification time (default: now)', parseInstant)
    .option('--key-id <value>', `the key id the app reported (${BYTES_HELP})`, parseByteValue)
    .option(
      '--extra-root <pem-file>',
      'also trust this attestation root, e.g. the simulator root (repeatable)',
      collect,
      [],
    )
    .option('--extra-receipt-root <pem-file>', 'also trust this receipt root (repeatable)', collect, [])
    .option('--no-receipt-check', 'do not verify the receipt (it is reported, undecoded)')
    .action(async (file: string, flags: AttestOptions) => {
      const attestation = readAttestation(file);
      const verifier = appleVerifier(flags);
      await printVerification(() =>
        verifier.verify({
          attestation,
          clientData: flags.clientData,
          at: flags.at ?? Date.now(),
          ...(flags.keyId ? { keyId: flags.keyId } : {}),
        }),
      );
    });

  verify
    .command('app-attest-assertion')
    .description('verify an Apple App Attest assertion offline with the attested public key')
    .requiredOption('--assertion <value>', `the assertion object, CBOR (${BYTES_HELP})`, parseByteValue)
    .requiredOption('--public-key <pem-file>', 'the attested key (PEM SubjectPublicKeyInfo)')
    .requiredOption('--client-data <value>', `the exact bytes the app hashed (${BYTES_HELP})`, parseByteValue)
    .requiredOption('--app-id <TEAMID.bundleId>', 'the app id the assertion must be for', parseAppId)
    .option(
      '--previous-counter <N>',
      'counter of the last accepted assertion; the new one must be greater',
      parseCounter,
      0,
    )
    .action(async (flags: AssertOptions) => {
      const publicKey = readP256Key(flags.publicKey);
      await printVerification(() => {
        const verified = verifyAppleAssertion(
          { assertion: flags.assertion, clientData: flags.clientData },
          { publicKey, appId: flags.appId, counter: flags.previousCounter },
        );
        const keyId = sha256(ecPoint(publicKey)).toString('base64');
        return {
          platform: 'apple',
          publicKey: describeKeyObject(publicKey),
          securityLevel: 'secure-enclave',
          app: { ids: [verified.appId], signerDigests: [] },
          counter: verified.counter,
          anchor: `App Attest key ${keyId}`,
          facts: { keyId, previousCounter: flags.previousCounter },
        };
      });
    });
}
