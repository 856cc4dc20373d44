import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jwkThumbprint } from '../../src/crypto/jose/jwk.js';
import { signBundle } from '../../src/features/dsr/bundles/bundle.js';
import { defaultBundlePayload } from '../../src/features/dsr/defaults.js';
import { MdocRecords } from '../../src/features/provisioning/records.js';
import { SimulatedDsrAndroidDevice } from '../../src/simulator/dsr/android-device.js';
import { SimulatedHealthCard } from '../../src/simulator/dsr/health-card.js';
import { authenticator, newUserName, register } from '../fido2/helpers.js';
import { addOperator, ConsoleClient } from '../helpers/console.js';
import { startSimulatorServer, type TestServer } from '../helpers/server.js';

/**
 * The console's capability pages (Authenticators, DSR, Provisioning) against one real server with
 * data made through the real APIs: listings, detail views, what a viewer may not do, and each
 * operator action's effect and audit entry.
 */

const API_KEY = 'capability-pages-api-key-0123456789';
const KVNR = 'C123456789';
const MDL = 'org.iso.18013.5.1.mDL';

let server: TestServer;
let dir: string;
/** The administrator key dsr.bundles.keyFiles names: it signs the simulation bundle. */
const bundleKey = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
const bundleKid = jwkThumbprint(bundleKey.publicKey.export({ format: 'jwk' }));
/** One session per operator for the whole file (a sign-in hashes a password: slow on purpose). */
const sessions = new Map<string, Promise<ConsoleClient>>();
const viewer = () => signedIn('viewer1');
const operator = () => signedIn('operator1');
const admin = () => signedIn('admin1');

function signedIn(name: string) {
  if (!sessions.has(name))
    sessions.set(
      name,
      (async () => {
        const client = new ConsoleClient(server);
        expect((await client.signIn(name)).status).toBe(303);
        return client;
      })(),
    );
  return sessions.get(name)!;
}

/** Whether a page offers any state-changing form (the sign-out form is not one of them). */
const ACTION_FORM = /<form class="action"/;

const audited = async (action: string) =>
  (await server.services.store.auditEvents.list({ action }, { limit: 10 })).map((event) => ({
    actor: event.actor,
    target: event.target,
    outcome: event.outcome,
  }));

/** POSTs a page's first form for `action` with its CSRF token. */
async function submit(client: ConsoleClient, page: string, action: string, fields: Record<string, string> = {}) {
  return client.post(action, { _csrf: await client.csrf(page), ...fields });
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'keyward-console-pages-'));
  writeFileSync(join(dir, 'admin.pem'), bundleKey.publicKey.export({ type: 'spki', format: 'pem' }));
  server = await startSimulatorServer({
    options: {
      admin: { apiKeys: [API_KEY] },
      dsr: { bundles: { keyFiles: [join(dir, 'admin.pem')] } },
      fido2: { mds: { enabled: false } },
    },
  });
  await addOperator(server, 'viewer1', 'viewer');
  await addOperator(server, 'operator1', 'operator');
  await addOperator(server, 'admin1', 'admin');
});
afterAll(async () => {
  await server?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('navigation', () => {
  it('links the three pages after Wallets, in order', async () => {
    const { text } = await (await viewer()).get('/console');
    const at = (name: string) => text.indexOf(`>${name}</a>`);
    expect(at('Authenticators')).toBeGreaterThan(at('Wallets'));
    expect(at('DSR')).toBeGreaterThan(at('Authenticators'));
    expect(at('Provisioning')).toBeGreaterThan(at('DSR'));
  });
});

describe('Authenticators', () => {
  const userName = newUserName('console');
  let credentialId: string;
  let aaguid: string;

  beforeAll(async () => {
    const { result } = await register(server, await authenticator({ format: 'packed' }), userName);
    expect(result.status).toBe(200);
    credentialId = result.body.credentialId;
    aaguid = result.body.aaguid;
  });

  it('lists the credential, filtered by user and AAGUID, with its model’s metadata', async () => {
    const client = await viewer();
    const listing = await client.get(`/console/authenticators?user=${encodeURIComponent(userName)}`);
    expect(listing.status).toBe(200);
    expect(listing.text).toContain(`/console/authenticators/credentials/${credentialId}`);
    expect(listing.text).toContain(aaguid);
    expect(listing.text).toContain('Authenticator models on this page');
    const entry = server.services.fido2!.metadata.lookup()?.byAaguid(aaguid);
    expect(entry).toBeDefined();
    expect(listing.text).toContain(entry!.description);
    const byAaguid = await client.get(`/console/authenticators?aaguid=${aaguid.replaceAll('-', '')}`);
    expect(byAaguid.text).toContain(credentialId.slice(0, 16));
    const other = await client.get('/console/authenticators?user=nobody%40example.com');
    expect(other.text).toContain('No credential matches.');
  });

  it('shows every stored fact of a credential, without a delete form for a viewer', async () => {
    const detail = await (await viewer()).get(`/console/authenticators/credentials/${credentialId}`);
    expect(detail.status).toBe(200);
    for (const fact of [credentialId, userName, aaguid, 'packed', 'Signature counter', 'Backup eligible', 'Transports'])
      expect(detail.text).toContain(fact);
    expect(detail.text).toContain(`/console/events?subject=${credentialId}`);
    expect(detail.text).not.toMatch(ACTION_FORM);
  });

  it('shows the FIDO metadata state', async () => {
    const page = await (await viewer()).get('/console/authenticators/metadata');
    expect(page.status).toBe(200);
    expect(page.text).toContain('badge-neutral">disabled');
    expect(page.text).toMatch(/Local entries \(metadata folder\)<\/dt><dd>[1-9]/);
  });

  it('refuses a viewer’s delete; an operator’s deletes and is audited', async () => {
    const detail = `/console/authenticators/credentials/${credentialId}`;
    expect((await submit(await viewer(), detail, `${detail}/delete`)).status).toBe(403);
    expect(await server.services.store.webauthnCredentials.get(credentialId)).toBeDefined();

    const client = await operator();
    expect((await client.get(detail)).text).toContain(`${detail}/delete`);
    const done = await submit(client, detail, `${detail}/delete`);
    expect(done.status).toBe(303);
    expect(done.headers.get('location')).toBe('/console/authenticators?done=deleted');
    expect(await server.services.store.webauthnCredentials.get(credentialId)).toBeUndefined();
    expect(await audited('webauthn.credential.delete')).toEqual([
      { actor: 'operator1', target: credentialId, outcome: 'ok' },
    ]);
    expect((await client.get(detail)).status).toBe(404);
  });
});

describe('DSR', () => {
  let sub: string;

  beforeAll(async () => {
    const nonce = await (await fetch(`${server.url}/dsr/nonce`)).text();
    const device = await SimulatedDsrAndroidDevice.create();
    const token = new SimulatedHealthCard({ kvnr: KVNR }).sign(await device.registrationClaims(nonce, Date.now()));
    const registered = await server.post('/dsr/register-device', { token });
    expect(registered.status).toBe(201);
    const registrations = await server.services.store.dsrRegistrations.byUser(KVNR);
    expect(registrations).toHaveLength(1);
    sub = registrations[0]!.sub;
    // A PEP denial (no device token) for the decision log.
    const denied = await fetch(`${server.url}/pep/lax/auth_request`, {
      headers: { 'x-original-uri': '/records/1', 'x-original-method': 'GET', 'x-real-ip': '192.0.2.10' },
    });
    expect(denied.status).toBe(403);
    await server.services.decisions.flush();
  });

  it('lists the registration by user and platform; the detail shows its certificate', async () => {
    const client = await viewer();
    const listing = await client.get(`/console/dsr?user=${KVNR}&platform=android`);
    expect(listing.status).toBe(200);
    const path = `/console/dsr/registrations/${encodeURIComponent(sub)}`;
    expect(listing.text).toContain(path);
    expect((await client.get('/console/dsr?platform=ios')).text).toContain('No registration matches.');
    const detail = await client.get(path);
    expect(detail.status).toBe(200);
    const registration = (await server.services.store.dsrRegistrations.bySub(sub))!;
    for (const fact of [sub, KVNR, 'android', registration.certificateSerial]) expect(detail.text).toContain(fact);
    expect(detail.text).not.toMatch(ACTION_FORM);
  });

  it('lists the PEP denial from the decision log', async () => {
    const page = await (await viewer()).get('/console/dsr/pep');
    expect(page.status).toBe(200);
    const [event] = await server.services.store.decisionEvents.list(
      { capability: 'dsr', operation: 'pep' },
      { limit: 1 },
    );
    expect(event).toBeDefined();
    expect(page.text).toContain(`href="/console/events/${event!.id}"`);
    expect(page.text).toContain('POLICY_DENIED');
  });

  it('shows the bundles; clearing the simulation is refused to a viewer, done and audited for an operator', async () => {
    const bundle = signBundle({ ...defaultBundlePayload(), version: 1 }, bundleKey.privateKey, bundleKid);
    const pushed = await fetch(`${server.url}/admin/v1/dsr/bundles/simulation`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/jose' },
      body: bundle,
    });
    expect(pushed.status).toBe(200);
    const page = '/console/dsr/policies';
    const seen = await (await viewer()).get(page);
    expect(seen.status).toBe(200);
    expect(seen.text).toContain(bundleKid);
    expect(seen.text).toContain('>simulation<');
    expect(seen.text).not.toMatch(ACTION_FORM);
    expect((await submit(await viewer(), page, `${page}/clear-simulation`)).status).toBe(403);
    expect(server.services.dsr!.policies.state().simulation?.version).toBe(1);

    const client = await operator();
    const done = await submit(client, page, `${page}/clear-simulation`);
    expect(done.status).toBe(303);
    expect(done.headers.get('location')).toBe(`${page}?done=simulation-cleared`);
    expect(server.services.dsr!.policies.state().simulation).toBeUndefined();
    expect(await server.services.store.dsrBundles.get('simulation')).toBeUndefined();
    expect(await audited('dsr.bundle.clear-simulation')).toEqual([
      { actor: 'operator1', target: 'simulation v1', outcome: 'ok' },
    ]);
    expect((await client.get(page)).text).toContain('No simulation bundle');
  });

  it('deletes a registration for an operator, refuses a viewer, and audits it', async () => {
    const path = `/console/dsr/registrations/${encodeURIComponent(sub)}`;
    expect((await submit(await viewer(), path, `${path}/delete`)).status).toBe(403);
    expect(await server.services.store.dsrRegistrations.bySub(sub)).toBeDefined();
    const client = await operator();
    const done = await submit(client, path, `${path}/delete`);
    expect(done.status).toBe(303);
    expect(done.headers.get('location')).toBe('/console/dsr?done=deleted');
    expect(await server.services.store.dsrRegistrations.bySub(sub)).toBeUndefined();
    expect(await audited('dsr.registration.delete')).toEqual([{ actor: 'operator1', target: sub, outcome: 'ok' }]);
  });
});

describe('Provisioning', () => {
  let personId: string;
  let documentId: string;
  let usedCode: string;
  const fingerprint = 'ab'.repeat(32);

  beforeAll(async () => {
    // What the operator API does for persons and documents (POST /admin/v1/mdoc/…).
    const records = new MdocRecords(server.services.store.mdocRecords, server.services.clock, { codeTtlSeconds: 3600 });
    personId = (await records.addPerson('Erika Console')).id;
    documentId = (
      await records.addDocument({
        personId,
        docType: MDL,
        data: { nameSpaces: { [MDL]: { family_name: 'Mustermann', given_name: 'Erika' } } },
      })
    ).id;
    // A provisioned credential as the provisioning flow stores it at its end.
    usedCode = (await records.issueCode(documentId)).code;
    const now = server.services.clock.now();
    const stored = await server.services.store.mdocRecords.completeProvisioning(
      usedCode,
      {
        credentialKeyFingerprint: fingerprint,
        documentId,
        credentialKeyChain: new Uint8Array([1]),
        proofOfProvisioning: new Uint8Array([2]),
        proofOfProvisioningSha256: new Uint8Array(32),
        dataTimestamp: now,
        createdAt: now,
        updatedAt: now,
      },
      now,
    );
    expect(stored).toBe('usable');
    await server.services.store.mdocRecords.endorseAuthKeys([
      {
        credentialKeyFingerprint: fingerprint,
        authKeyFingerprint: 'cd'.repeat(32),
        certificate: new Uint8Array([3]),
        staticAuthData: new Uint8Array([4]),
        generatedAt: now,
        expiresAt: now + 86_400_000,
      },
    ]);
  });

  it('finds the person by name and lists their documents', async () => {
    const client = await viewer();
    const listing = await client.get('/console/provisioning?q=erika%20con');
    expect(listing.status).toBe(200);
    expect(listing.text).toContain(`/console/provisioning/persons/${personId}`);
    expect((await client.get('/console/provisioning?q=nobody')).text).toContain('No person matches.');
    const person = await client.get(`/console/provisioning/persons/${personId}`);
    expect(person.text).toContain(`/console/provisioning/documents/${documentId}`);
    expect(person.text).toContain(MDL);
  });

  it('shows a document’s element names to an operator, its values only to an admin', async () => {
    const path = `/console/provisioning/documents/${documentId}`;
    const forOperator = await (await operator()).get(path);
    expect(forOperator.status).toBe(200);
    expect(forOperator.text).toContain('family_name, given_name');
    expect(forOperator.text).not.toContain('Mustermann');
    expect(forOperator.text).toContain(fingerprint.slice(0, 16));
    expect(forOperator.text).toContain(usedCode);
    const forAdmin = await (await admin()).get(path);
    expect(forAdmin.text).toContain('Mustermann');
    const forViewer = await (await viewer()).get(path);
    expect(forViewer.text).not.toContain(usedCode);
    expect(forViewer.text).toContain(`…${usedCode.slice(-4)}`);
    expect(forViewer.text).not.toMatch(ACTION_FORM);
  });

  it('lists codes and issued credentials with their auth keys', async () => {
    const client = await viewer();
    const codes = await client.get('/console/provisioning/codes');
    expect(codes.status).toBe(200);
    expect(codes.text).toContain('badge-neutral">used');
    const credentials = await client.get(`/console/provisioning/credentials?document=${documentId}`);
    expect(credentials.status).toBe(200);
    expect(credentials.text).toContain(fingerprint.slice(0, 16));
    expect(credentials.text).toMatch(/<td class="num">1<\/td>/);
    expect((await client.get(`/console/provisioning/credentials?document=${personId}`)).text).toContain(
      'No credential is provisioned.',
    );
  });

  it('issues and revokes a code for an operator (audited), refuses both to a viewer', async () => {
    const path = `/console/provisioning/documents/${documentId}`;
    const count = async () => (await server.services.store.mdocRecords.codes({ documentId, limit: 100 })).total;
    expect((await submit(await viewer(), path, `${path}/codes`)).status).toBe(403);
    expect(await count()).toBe(1);

    const client = await operator();
    const issued = await submit(client, path, `${path}/codes`);
    expect(issued.status).toBe(303);
    expect(issued.headers.get('location')).toBe(`${path}?done=code-issued`);
    const [newest] = (await server.services.store.mdocRecords.codes({ documentId, limit: 1 })).items;
    expect(await count()).toBe(2);
    expect(newest!.expiresAt - newest!.createdAt).toBe(server.config.provisioning.codeTtlSeconds * 1000);
    const shown = await client.get(`${path}?done=code-issued`);
    expect(shown.text).toContain(newest!.code);
    expect(shown.text).toContain('notice-ok');
    expect(await audited('mdoc.code.issue')).toEqual([{ actor: 'operator1', target: documentId, outcome: 'ok' }]);

    expect((await submit(await viewer(), path, `${path}/codes/revoke`, { code: newest!.code })).status).toBe(403);
    const revoked = await submit(client, path, `${path}/codes/revoke`, { code: newest!.code });
    expect(revoked.status).toBe(303);
    expect(revoked.headers.get('location')).toBe(`${path}?done=code-revoked`);
    const { state } = await server.services.store.mdocRecords.codeState(newest!.code, server.services.clock.now());
    expect(state).toBe('revoked');
    expect(await audited('mdoc.code.revoke')).toEqual([{ actor: 'operator1', target: documentId, outcome: 'ok' }]);
    // A used code cannot be revoked: the page says why, nothing changes.
    expect((await submit(client, path, `${path}/codes/revoke`, { code: usedCode })).status).toBe(409);
  });
});
