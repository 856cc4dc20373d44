import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { webauthnSimulatorMetadataFolder } from '../../src/simulator/webauthn/roots.js';
import type { TestServer } from '../helpers/server.js';
import {
  authenticator,
  expectFailure,
  newUserName,
  register,
  registrationOptions,
  startFido2Server,
} from './helpers.js';

/** An AAGUID no metadata statement names. */
const UNKNOWN_AAGUID = '6b657977-6172-4400-8000-0000000000ff';
/** The simulated packed model, listed with a REVOKED status report under this AAGUID. */
const REVOKED_AAGUID = '6b657977-6172-4400-8000-0000000000fe';

/** A metadata folder with the simulator's statements and an MDS entry whose latest status is REVOKED. */
function metadataFolder(): string {
  const folder = mkdtempSync(join(tmpdir(), 'keyward-fido2-metadata-'));
  for (const file of ['packed.json', 'packed-self.json', 'none.json', 'tpm.json'])
    writeFileSync(join(folder, file), readFileSync(join(webauthnSimulatorMetadataFolder(), file)));
  const packed = JSON.parse(readFileSync(join(webauthnSimulatorMetadataFolder(), 'packed.json'), 'utf8'));
  writeFileSync(
    join(folder, 'revoked.json'),
    JSON.stringify({
      aaguid: REVOKED_AAGUID,
      metadataStatement: { ...packed, aaguid: REVOKED_AAGUID, description: 'Keyward simulator packed, revoked' },
      statusReports: [
        { status: 'FIDO_CERTIFIED_L1', effectiveDate: '2020-01-01' },
        { status: 'REVOKED', effectiveDate: '2021-01-01' },
      ],
      timeOfLastStatusChange: '2021-01-01',
    }),
  );
  return folder;
}

describe('attestation modes', () => {
  const folder = metadataFolder();
  const servers: Partial<Record<'disabled' | 'monitor' | 'enforced', TestServer>> = {};
  const server = (mode: 'disabled' | 'monitor' | 'enforced') => servers[mode]!;
  beforeAll(async () => {
    for (const mode of ['disabled', 'monitor', 'enforced'] as const)
      servers[mode] = await startFido2Server({ fido2: { attestationMode: mode, mds: { folder } } });
  });
  afterAll(async () => {
    await Promise.all(Object.values(servers).map((running) => running.close()));
    rmSync(folder, { recursive: true, force: true });
  });

  describe('disabled', () => {
    it('asks for no attestation and does not look at the statement', async () => {
      const options = await registrationOptions(server('disabled'), {
        username: newUserName(),
        displayName: 'x',
        attestation: 'direct',
      });
      expect(options.body.attestation).toBe('none');
      // Even an attestation from roots nobody trusts registers: it is not checked.
      const untrusted = await authenticator({ format: 'packed', roots: 'generated' });
      const { result } = await register(server('disabled'), untrusted);
      expect(result.status).toBe(200);
      expect(result.body).toMatchObject({
        fmt: 'packed',
        attestationType: 'none',
        trust: 'none',
        metadata: { found: false },
      });
      const stored = await server('disabled').services.store.webauthnCredentials.get(result.body.credentialId);
      expect(stored!.attestation.outcome).toBe('skipped');
    });
  });

  describe('monitor', () => {
    it('records a trusted attestation and its metadata', async () => {
      const { result } = await register(server('monitor'), await authenticator({ format: 'packed' }));
      expect(result.body).toMatchObject({
        trust: 'metadata',
        metadata: { found: true, description: 'Keyward simulator packed', statuses: [] },
        warnings: [],
      });
    });

    it('accepts an untrusted chain, an unknown authenticator and a refused status, and records why', async () => {
      const untrusted = await register(
        server('monitor'),
        await authenticator({ format: 'packed', roots: 'generated' }),
      );
      expect(untrusted.result.status).toBe(200);
      expect(untrusted.result.body).toMatchObject({ attestationType: 'basic', trust: 'none' });
      expect(untrusted.result.body.warnings.join(' ')).toMatch(/reaches no trusted root/);
      const stored = await server('monitor').services.store.webauthnCredentials.get(untrusted.result.body.credentialId);
      expect(stored!.attestation.outcome).toBe('untrusted');
      expect(stored!.attestation.trustPath.length).toBeGreaterThan(0);

      // A chain that carries its own root is no better: a root in x5c never anchors (GHSA-6hxq-p678-4hr2).
      const ownRoot = await register(
        server('monitor'),
        await authenticator({ format: 'packed', roots: 'generated', x5cWithRoot: true }),
      );
      expect(ownRoot.result.status).toBe(200);
      expect(ownRoot.result.body.trust).toBe('none');

      // Not in metadata, but chaining to a (simulator) root trusted for packed: trust root.
      const unknown = await register(
        server('monitor'),
        await authenticator({ format: 'packed', aaguid: UNKNOWN_AAGUID }),
      );
      expect(unknown.result.body).toMatchObject({ trust: 'root', metadata: { found: false } });

      const revoked = await register(
        server('monitor'),
        await authenticator({ format: 'packed', aaguid: REVOKED_AAGUID }),
      );
      expect(revoked.result.status).toBe(200);
      expect(revoked.result.body.metadata).toMatchObject({ found: true, statuses: ['FIDO_CERTIFIED_L1', 'REVOKED'] });
      expect(revoked.result.body.warnings.join(' ')).toMatch(/REVOKED/);
      const record = await server('monitor').services.store.webauthnCredentials.get(revoked.result.body.credentialId);
      expect(record!.metadata.statuses).toEqual(['FIDO_CERTIFIED_L1', 'REVOKED']);
    });
  });

  describe('enforced', () => {
    it('registers authenticators in metadata whose attestation reaches a metadata root', async () => {
      for (const format of ['packed', 'tpm'] as const) {
        const { result } = await register(server('enforced'), await authenticator({ format }));
        expect(result.status).toBe(200);
        expect(result.body.trust).toBe('metadata');
      }
      // Self attestation where the metadata declares basic_surrogate.
      const self = await register(server('enforced'), await authenticator({ format: 'packed', selfAttestation: true }));
      expect(self.result.status).toBe(200);
    });

    it('refuses unknown authenticators, untrusted chains, no attestation and refused statuses', async () => {
      expectFailure(
        (await register(server('enforced'), await authenticator({ format: 'packed', aaguid: UNKNOWN_AAGUID }))).result,
        'METADATA_NOT_FOUND',
      );
      const untrusted = (
        await register(server('enforced'), await authenticator({ format: 'packed', roots: 'generated' }))
      ).result;
      expect(untrusted.status).toBe(400);
      expect(untrusted.body.status).toBe('failed');
      expect(untrusted.body.code).toBe('UNTRUSTED_ROOT');
      expectFailure(
        (await register(server('enforced'), await authenticator({ format: 'none' }))).result,
        'ATTESTATION_TYPE_REFUSED',
      );
      expectFailure(
        (await register(server('enforced'), await authenticator({ format: 'packed', aaguid: REVOKED_AAGUID }))).result,
        'METADATA_STATUS_REFUSED',
      );
      // A refused registration stores nothing.
      const listing = await server('enforced').services.store.webauthnCredentials.list({
        offset: 0,
        limit: 100,
        aaguid: REVOKED_AAGUID,
      });
      expect(listing.total).toBe(0);
    });
  });
});
