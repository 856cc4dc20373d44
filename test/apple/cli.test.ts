import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SimulatedAppleDevice } from '../../src/simulator/apple/device.js';
import { AppleTestAuthority } from '../../src/simulator/apple/test-authority.js';
import { runCli } from '../helpers/cli.js';
import {
  DEVICECHECK_APP_ID,
  NODE_APP_ATTEST_APP_ID,
  devicecheckVectors,
  nodeAppAttestAssertion,
  nodeAppAttestVectors,
} from '../helpers/apple-vectors.js';

const work = mkdtempSync(join(tmpdir(), 'keyward-apple-cli-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const file = (name: string, content: string | Uint8Array) => {
  const path = join(work, name);
  writeFileSync(path, content);
  return path;
};

const vector = devicecheckVectors()[0]!;
const attestationJson = file(
  'attestation.json',
  JSON.stringify({ attestation: vector.attestation.toString('base64') }),
);
const attestArgs = (overrides: string[] = []) => [
  'verify',
  'app-attest',
  attestationJson,
  '--client-data',
  `b64:${vector.clientData.toString('base64')}`,
  '--app-id',
  DEVICECHECK_APP_ID,
  '--env',
  'development',
  '--at',
  new Date(vector.timestamp).toISOString(),
  ...overrides,
];

describe('keyward verify app-attest', () => {
  it('verifies a JSON attestation file and prints the result (exit 0)', async () => {
    const run = await runCli(attestArgs(['--key-id', vector.keyId.toString('base64')]));
    expect(run.code).toBe(0);
    const output = JSON.parse(run.stdout);
    expect(output).toMatchObject({
      verified: true,
      platform: 'apple',
      app: { ids: [DEVICECHECK_APP_ID] },
      facts: { keyId: vector.keyId.toString('base64'), receiptChecked: true },
    });
  });

  it('verifies a raw CBOR file, here a production attestation, with receipts off', async () => {
    const production = nodeAppAttestVectors().find((candidate) => candidate.name === 'production')!;
    const raw = file('production.cbor', production.attestation);
    const run = await runCli([
      'verify',
      'app-attest',
      raw,
      '--client-data',
      `hex:${production.clientData.toString('hex')}`,
      '--app-id',
      NODE_APP_ATTEST_APP_ID,
      '--at',
      '2024-02-07T21:08:56Z',
      '--no-receipt-check',
    ]);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout).facts).toMatchObject({ environment: 'production', receiptChecked: false });
  });

  it('prints a rejection with category and code (exit 1)', async () => {
    const run = await runCli(attestArgs(['--key-id', devicecheckVectors()[1]!.keyId.toString('base64')]));
    expect(run.code).toBe(1);
    expect(JSON.parse(run.stdout)).toMatchObject({
      verified: false,
      category: 'CONTENT',
      code: 'KEY_ID_MISMATCH',
      message: expect.any(String),
    });
    const production = await runCli(attestArgs(['--env', 'production']));
    expect(production.code).toBe(1);
    expect(JSON.parse(production.stdout)).toMatchObject({
      verified: false,
      category: 'TRUST',
      code: 'ENVIRONMENT_NOT_ALLOWED',
    });
  });

  it('exits 2 on usage errors', async () => {
    const cases = [
      attestArgs().filter((arg) => arg !== '--app-id' && arg !== DEVICECHECK_APP_ID),
      attestArgs(['--app-id', 'de.vincent-haupert.apple-appattest-poc']),
      attestArgs(['--client-data', 'not base64!']),
      attestArgs(['--extra-root', join(work, 'missing.pem')]),
      ['verify', 'app-attest', join(work, 'missing.json'), ...attestArgs().slice(3)],
      ['verify', 'app-attest', file('broken.json', '{"attestation": 5}'), ...attestArgs().slice(3)],
    ];
    const runs = await Promise.all(cases.map((args) => runCli(args)));
    runs.forEach((run, index) => {
      expect(run.code, cases[index]!.join(' ')).toBe(2);
      expect(run.stdout).toBe('');
    });
  });

  it('trusts a simulator root only when it is passed explicitly, and checks its assertions', async () => {
    const authority = await AppleTestAuthority.create();
    const device = await SimulatedAppleDevice.create(authority, { appId: 'ABCDE12345.org.keyward.cli' });
    const clientData = Buffer.from('cli challenge');
    const at = Date.parse('2026-04-01T00:00:00Z');
    const attestation = file('simulated.cbor', await device.attest(clientData, { at }));
    const args = [
      'verify',
      'app-attest',
      attestation,
      '--client-data',
      `utf8:${clientData}`,
      '--app-id',
      'ABCDE12345.org.keyward.cli',
      '--env',
      'any',
      '--at',
      new Date(at).toISOString(),
    ];
    const untrusted = await runCli(args);
    expect(untrusted.code).toBe(1);
    expect(JSON.parse(untrusted.stdout)).toMatchObject({ category: 'TRUST', code: 'UNTRUSTED_ROOT' });
    const trusted = await runCli([
      ...args,
      '--extra-root',
      file('root.pem', authority.rootPem),
      '--extra-receipt-root',
      file('receipt-root.pem', authority.receiptRootPem),
    ]);
    expect(trusted.code).toBe(0);
    expect(JSON.parse(trusted.stdout).facts.keyId).toBe(device.keyId.toString('base64'));

    const request = Buffer.from('GET /profile');
    const assertion = await runCli([
      'verify',
      'app-attest-assertion',
      '--assertion',
      device.assert(request).toString('base64'),
      '--public-key',
      file('device.pem', device.publicKeyPem),
      '--client-data',
      `utf8:${request}`,
      '--app-id',
      'ABCDE12345.org.keyward.cli',
    ]);
    expect(assertion.code).toBe(0);
    expect(JSON.parse(assertion.stdout)).toMatchObject({
      counter: 1,
      facts: { keyId: device.keyId.toString('base64'), previousCounter: 0 },
    });
  });
});

describe('keyward verify app-attest-assertion', () => {
  const assertion = nodeAppAttestAssertion();
  const publicKey = file('key.pem', assertion.publicKeyPem);
  const args = (overrides: string[] = []) => [
    'verify',
    'app-attest-assertion',
    '--assertion',
    assertion.assertion.toString('base64'),
    '--public-key',
    publicKey,
    '--client-data',
    `utf8:${assertion.clientData.toString('utf8')}`,
    '--app-id',
    assertion.appId,
    ...overrides,
  ];

  it('verifies an assertion with the attested key (exit 0)', async () => {
    const run = await runCli(args());
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({
      verified: true,
      platform: 'apple',
      counter: assertion.counter,
      app: { ids: [assertion.appId] },
    });
  });

  it('rejects a counter that did not increase (exit 1)', async () => {
    const run = await runCli(args(['--previous-counter', String(assertion.counter)]));
    expect(run.code).toBe(1);
    expect(JSON.parse(run.stdout)).toMatchObject({
      verified: false,
      category: 'TRUST',
      code: 'COUNTER_NOT_INCREASING',
    });
  });

  it('exits 2 on usage errors', async () => {
    const rsa = file(
      'rsa.pem',
      generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ format: 'pem', type: 'spki' }).toString(),
    );
    const cases = [
      ['--previous-counter', '-1'],
      ['--public-key', rsa],
      ['--public-key', file('garbage.pem', 'garbage')],
    ];
    const runs = await Promise.all(cases.map((overrides) => runCli(args(overrides))));
    for (const [index, run] of runs.entries()) expect(run.code, cases[index]!.join(' ')).toBe(2);
  });
});
