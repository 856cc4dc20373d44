import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FixedClock } from '../../src/clock.js';
import { documentDataOf } from '../../src/features/provisioning/document-data.js';
import { provisioningOperatorRoutes } from '../../src/features/provisioning/operator-routes.js';
import { MdocRecords } from '../../src/features/provisioning/records.js';
import { TEST_PERSONS } from '../../src/features/provisioning/test-data.js';
import { installErrorHandling } from '../../src/http/errors.js';
import { installValidation } from '../../src/http/validation.js';
import { sqliteBackend, type TestBackend } from '../helpers/backends.js';

const KEY = 'operator-key-0123456789';
const auth = { authorization: `Bearer ${KEY}` };
const T0 = Date.UTC(2026, 0, 1);

let backend: TestBackend;
let app: FastifyInstance;
const clock = new FixedClock(T0);

beforeAll(async () => {
  backend = await sqliteBackend();
  const server = Fastify({ logger: false }).withTypeProvider<TypeBoxTypeProvider>();
  installValidation(server);
  installErrorHandling(server, () => undefined);
  await server.register(provisioningOperatorRoutes, {
    records: new MdocRecords(backend.store.mdocRecords, clock, { codeTtlSeconds: 3600 }),
    apiKeys: [KEY],
  });
  app = server as unknown as FastifyInstance;
});
afterAll(async () => {
  await app?.close();
  await backend?.cleanup();
});

const call = (method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, payload?: unknown) =>
  app.inject({ method, url, headers: auth, ...(payload === undefined ? {} : { payload: payload as object }) });

describe('mdoc operator API', () => {
  it('refuses requests without the operator key', async () => {
    const response = await app.inject({ method: 'GET', url: '/admin/v1/mdoc/persons' });
    expect(response.statusCode).toBe(401);
    expect(response.json().error).toBe('UNAUTHORIZED');
  });

  it('adds a person and a document, shows them, and round-trips the JSON data exactly', async () => {
    const person = await call('POST', '/admin/v1/mdoc/persons', { name: 'Erika Mustermann' });
    expect(person.statusCode).toBe(201);
    const personId = person.json().id as string;

    const data = TEST_PERSONS[0].document;
    const document = await call('POST', '/admin/v1/mdoc/documents', {
      personId,
      docType: 'org.iso.18013.5.1.mDL',
      data,
    });
    expect(document.statusCode).toBe(201);
    const created = document.json();
    expect(created.status).toBe('active');
    expect(created.data).toEqual(data);

    // The stored CBOR keeps CBOR types: full-date tag 1004, byte strings, profiles [0].
    const stored = await backend.store.mdocRecords.document(created.id);
    const elements = documentDataOf(stored!).nameSpaces.get('org.iso.18013.5.1')!;
    const birth = elements.find((entry) => entry.name === 'birth_date')!;
    expect(birth.value).toMatchObject({ tag: 1004, contents: '1964-08-12' });
    expect(birth.accessControlProfiles).toEqual([0]);
    expect(elements.find((entry) => entry.name === 'portrait')!.value).toBeInstanceOf(Uint8Array);

    const listed = await call('GET', `/admin/v1/mdoc/persons?search=muster`);
    expect(listed.json().items.map((item: { id: string }) => item.id)).toContain(personId);
    const shown = await call('GET', `/admin/v1/mdoc/persons/${personId}`);
    expect(shown.statusCode).toBe(200);
    expect(shown.json().documents).toHaveLength(1);
    expect(shown.json().documents[0].credentials).toEqual([]);
    const documents = await call('GET', `/admin/v1/mdoc/documents?personId=${personId}`);
    expect(documents.json().total).toBe(1);
  });

  it('updates data (a later dataTimestamp), marks for deletion, and refuses changes after that', async () => {
    const personId = (await call('POST', '/admin/v1/mdoc/persons', { name: 'John Doe' })).json().id;
    const data = {
      nameSpaces: {
        'org.iso.18013.5.1': {
          family_name: 'Doe',
          issue_date: { dateTime: '2026-01-01T10:00:00.123Z' },
          age_over_21: { value: true, accessControlProfiles: [0, 1] },
        },
      },
      accessControlProfiles: [{ id: 0 }, { id: 1, userAuthenticationRequired: true, timeoutMillis: 1000 }],
    };
    const created = (await call('POST', '/admin/v1/mdoc/documents', { personId, docType: 'x.test', data })).json();
    expect(created.data.nameSpaces['org.iso.18013.5.1'].issue_date).toEqual({ dateTime: '2026-01-01T10:00:00Z' });
    expect(created.data.nameSpaces['org.iso.18013.5.1'].age_over_21).toEqual({
      value: true,
      accessControlProfiles: [0, 1],
    });

    const updated = await call('PUT', `/admin/v1/mdoc/documents/${created.id}`, {
      data: { nameSpaces: { 'org.iso.18013.5.1': { family_name: 'Doe-Smith' } } },
    });
    expect(updated.statusCode).toBe(200);
    expect(Date.parse(updated.json().dataTimestamp)).toBeGreaterThan(Date.parse(created.dataTimestamp));
    expect(updated.json().data.nameSpaces['org.iso.18013.5.1']).toEqual({ family_name: 'Doe-Smith' });

    const code = (await call('POST', '/admin/v1/mdoc/codes', { documentId: created.id })).json();
    const deleted = await call('DELETE', `/admin/v1/mdoc/documents/${created.id}`);
    expect(deleted.statusCode).toBe(200);
    expect(deleted.json().status).toBe('to_delete');
    const codes = (await call('GET', `/admin/v1/mdoc/codes?documentId=${created.id}`)).json();
    expect(codes.items[0]).toMatchObject({ code: code.code, state: 'revoked' });

    const again = await call('PUT', `/admin/v1/mdoc/documents/${created.id}`, {
      data: { nameSpaces: { n: { a: 1 } } },
    });
    expect(again.statusCode).toBe(409);
    expect(again.json().error).toBe('MDOC_DOCUMENT_WITHDRAWN');
    const issue = await call('POST', '/admin/v1/mdoc/codes', { documentId: created.id });
    expect(issue.statusCode).toBe(409);
  });

  it('issues random codes with the configured TTL, lists them, and revokes once', async () => {
    const personId = (await call('POST', '/admin/v1/mdoc/persons', { name: 'Coder' })).json().id;
    const documentId = (
      await call('POST', '/admin/v1/mdoc/documents', {
        personId,
        docType: 'x.test',
        data: { nameSpaces: { n: { a: 'b' } } },
      })
    ).json().id;
    const first = await call('POST', '/admin/v1/mdoc/codes', { documentId });
    expect(first.statusCode).toBe(201);
    expect(first.json().code).toMatch(/^\d{20}$/);
    expect(Date.parse(first.json().expiresAt) - Date.parse(first.json().createdAt)).toBe(3600_000);
    const second = (await call('POST', '/admin/v1/mdoc/codes', { documentId, ttlSeconds: 120 })).json();
    expect(second.code).not.toBe(first.json().code);
    expect(Date.parse(second.expiresAt) - Date.parse(second.createdAt)).toBe(120_000);

    expect((await backend.store.mdocRecords.codeState(second.code, clock.now())).state).toBe('usable');
    const revoked = await call('DELETE', `/admin/v1/mdoc/codes/${second.code}`);
    expect(revoked.statusCode).toBe(200);
    expect(revoked.json().state).toBe('revoked');
    expect((await backend.store.mdocRecords.codeState(second.code, clock.now())).state).toBe('revoked');
    const twice = await call('DELETE', `/admin/v1/mdoc/codes/${second.code}`);
    expect(twice.statusCode).toBe(409);
    expect(twice.json().error).toBe('MDOC_CODE_NOT_REVOCABLE');
    const unknown = await call('DELETE', '/admin/v1/mdoc/codes/999');
    expect(unknown.statusCode).toBe(404);

    clock.advance(3600_000);
    const listed = (await call('GET', `/admin/v1/mdoc/codes?documentId=${documentId}`)).json();
    expect(listed.total).toBe(2);
    expect(listed.items.find((item: { code: string }) => item.code === first.json().code).state).toBe('expired');
  });

  it('answers bad input with 400 and unknown ids with 404', async () => {
    const unknownPerson = await call('POST', '/admin/v1/mdoc/documents', {
      personId: 'nobody',
      docType: 'x.test',
      data: { nameSpaces: { n: { a: 1 } } },
    });
    expect(unknownPerson.statusCode).toBe(404);
    expect(unknownPerson.json().error).toBe('MDOC_PERSON_UNKNOWN');
    expect((await call('GET', '/admin/v1/mdoc/persons/nobody')).statusCode).toBe(404);
    expect(
      (await call('PUT', '/admin/v1/mdoc/documents/none', { data: { nameSpaces: { n: { a: 1 } } } })).statusCode,
    ).toBe(404);
    expect((await call('DELETE', '/admin/v1/mdoc/documents/none')).statusCode).toBe(404);
    expect((await call('POST', '/admin/v1/mdoc/codes', { documentId: 'none' })).statusCode).toBe(404);

    const personId = (await call('POST', '/admin/v1/mdoc/persons', { name: 'Bad Data' })).json().id;
    const bad = async (data: unknown) => {
      const response = await call('POST', '/admin/v1/mdoc/documents', { personId, docType: 'x.test', data });
      expect(response.statusCode).toBe(400);
      return response.json();
    };
    expect((await bad({ nameSpaces: { n: { d: { fullDate: '1964-13-45' } } } })).error).toBe(
      'MDOC_DOCUMENT_JSON_INVALID',
    );
    expect((await bad({ nameSpaces: { n: { d: { value: 1, accessControlProfiles: [7] } } } })).message).toMatch(
      /profile 7/,
    );
    expect((await bad({ nameSpaces: { n: { p: { bytes: '***' } } } })).error).toBe('MDOC_DOCUMENT_JSON_INVALID');
    expect((await bad({ nameSpaces: {} })).error).toBe('MDOC_DOCUMENT_JSON_INVALID');
    expect((await bad({ nameSpaces: { n: { t: { dateTime: 'yesterday' } } } })).error).toBe(
      'MDOC_DOCUMENT_JSON_INVALID',
    );
    expect((await bad({ nameSpaces: { n: { a: 1 } }, extra: true })).error).toBe('MDOC_DOCUMENT_JSON_INVALID');
    const badName = await call('POST', '/admin/v1/mdoc/persons', { name: '' });
    expect(badName.statusCode).toBe(400);
  });
});
