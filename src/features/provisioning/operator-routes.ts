import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { requireApiKey } from '../../http-kit/api-keys.js';
import { ErrorReply } from '../../http-kit/error-replies.js';
import { documentView, MAX_CODE_TTL_SECONDS, type MdocRecords } from './records.js';

const Id = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) });
const Paging = {
  limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }),
  offset: Type.Integer({ minimum: 0, default: 0 }),
};
const Person = Type.Object({ id: Type.String(), name: Type.String(), createdAt: Type.String() });
const DocumentData = Type.Object(
  {
    accessControlProfiles: Type.Optional(Type.Array(Type.Record(Type.String(), Type.Unknown()))),
    nameSpaces: Type.Record(Type.String(), Type.Record(Type.String(), Type.Unknown())),
  },
  {
    description:
      'The JSON form of document data: nameSpaces → element → value; {"fullDate"}, {"dateTime"} and {"bytes": base64} for typed values; {"value", "accessControlProfiles"} for elements with profiles other than [0].',
  },
);
const Document = Type.Object({
  id: Type.String(),
  personId: Type.String(),
  docType: Type.String(),
  status: Type.Union([Type.Literal('active'), Type.Literal('to_delete')]),
  dataTimestamp: Type.String(),
  createdAt: Type.String(),
  updatedAt: Type.String(),
  data: Type.Unknown(),
});
const Code = Type.Object({
  code: Type.String(),
  documentId: Type.String(),
  state: Type.String(),
  createdAt: Type.String(),
  expiresAt: Type.String(),
  usedAt: Type.Optional(Type.String()),
  revokedAt: Type.Optional(Type.String()),
});
const Credential = Type.Object({
  credentialKeyFingerprint: Type.String(),
  current: Type.Boolean(),
  dataTimestamp: Type.String(),
  createdAt: Type.String(),
  updatedAt: Type.String(),
  authKeys: Type.Array(
    Type.Object({ authKeyFingerprint: Type.String(), generatedAt: Type.String(), expiresAt: Type.String() }),
  ),
});
const PersonDetail = Type.Object({
  ...Person.properties,
  documents: Type.Array(
    Type.Object({ ...Document.properties, credentials: Type.Array(Credential), codes: Type.Array(Code) }),
  ),
});
const page = <T extends Parameters<typeof Type.Array>[0]>(item: T) =>
  Type.Object({ total: Type.Integer(), items: Type.Array(item) });

/**
 * Operator endpoints of the mdoc system of record (persons, documents, provisioning codes), each
 * requiring one of admin.apiKeys as a bearer token.
 */
export const provisioningOperatorRoutes: FastifyPluginAsyncTypebox<{
  records: MdocRecords;
  apiKeys: readonly string[];
}> = async (app, { records, apiKeys }) => {
  app.addHook('onRequest', requireApiKey(apiKeys));
  const tags = ['admin'];

  app.post(
    '/admin/v1/mdoc/persons',
    {
      schema: {
        tags,
        summary: 'Add a person to the mdoc system of record',
        body: Type.Object({ name: Type.String({ minLength: 1, maxLength: 200 }) }, { additionalProperties: false }),
        response: { 201: Person, 400: ErrorReply, 401: ErrorReply },
      },
    },
    async (request, reply) => {
      const person = await records.addPerson(request.body.name);
      request.log.info({ personId: person.id }, 'mdoc person added by an operator');
      return reply.code(201).send(person);
    },
  );

  app.get(
    '/admin/v1/mdoc/persons',
    {
      schema: {
        tags,
        summary: 'Persons, newest first (search: case-insensitive substring of the name)',
        querystring: Type.Object({ ...Paging, search: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })) }),
        response: { 200: page(Person), 400: ErrorReply, 401: ErrorReply },
      },
    },
    async (request) => records.persons(request.query),
  );

  app.get(
    '/admin/v1/mdoc/persons/:id',
    {
      schema: {
        tags,
        summary: 'A person with their documents, codes and the credentials devices hold',
        params: Id,
        response: { 200: PersonDetail, 401: ErrorReply, 404: ErrorReply },
      },
    },
    async (request) => records.person(request.params.id),
  );

  app.post(
    '/admin/v1/mdoc/documents',
    {
      schema: {
        tags,
        summary: 'Add a document (docType and data) to a person',
        body: Type.Object(
          {
            personId: Type.String({ minLength: 1, maxLength: 64 }),
            docType: Type.String({ minLength: 1, maxLength: 256 }),
            data: DocumentData,
          },
          { additionalProperties: false },
        ),
        response: { 201: Document, 400: ErrorReply, 401: ErrorReply, 404: ErrorReply },
      },
    },
    async (request, reply) => {
      const document = await records.addDocument(request.body);
      request.log.info({ documentId: document.id, personId: document.personId }, 'mdoc document added by an operator');
      return reply.code(201).send(document);
    },
  );

  app.get(
    '/admin/v1/mdoc/documents',
    {
      schema: {
        tags,
        summary: 'Documents, newest first (filter by person)',
        querystring: Type.Object({ ...Paging, personId: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })) }),
        response: { 200: page(Document), 400: ErrorReply, 401: ErrorReply },
      },
    },
    async (request) => records.documents(request.query),
  );

  app.get(
    '/admin/v1/mdoc/documents/:id',
    {
      schema: {
        tags,
        summary: 'A document with its data',
        params: Id,
        response: { 200: Document, 401: ErrorReply, 404: ErrorReply },
      },
    },
    async (request) => documentView(await records.document(request.params.id)),
  );

  app.put(
    '/admin/v1/mdoc/documents/:id',
    {
      schema: {
        tags,
        summary: "Replace a document's data: each credential's next UpdateCredential answers update",
        params: Id,
        body: Type.Object({ data: DocumentData }, { additionalProperties: false }),
        response: { 200: Document, 400: ErrorReply, 401: ErrorReply, 404: ErrorReply, 409: ErrorReply },
      },
    },
    async (request) => {
      const document = await records.updateDocument(request.params.id, request.body.data);
      request.log.warn({ documentId: document.id }, 'mdoc document data changed by an operator');
      return document;
    },
  );

  app.delete(
    '/admin/v1/mdoc/documents/:id',
    {
      schema: {
        tags,
        summary:
          'Mark a document for deletion: its usable codes are revoked and each credential’s next UpdateCredential answers delete',
        params: Id,
        response: { 200: Document, 401: ErrorReply, 404: ErrorReply },
      },
    },
    async (request) => {
      const document = await records.deleteDocument(request.params.id);
      request.log.warn({ documentId: document.id }, 'mdoc document marked for deletion by an operator');
      return document;
    },
  );

  app.post(
    '/admin/v1/mdoc/codes',
    {
      schema: {
        tags,
        summary: 'Issue a single-use provisioning code (20 random digits) for a document',
        body: Type.Object(
          {
            documentId: Type.String({ minLength: 1, maxLength: 64 }),
            ttlSeconds: Type.Optional(Type.Integer({ minimum: 60, maximum: MAX_CODE_TTL_SECONDS })),
          },
          { additionalProperties: false },
        ),
        response: { 201: Code, 400: ErrorReply, 401: ErrorReply, 404: ErrorReply, 409: ErrorReply },
      },
    },
    async (request, reply) => {
      const code = await records.issueCode(request.body.documentId, request.body.ttlSeconds);
      request.log.info(
        { documentId: code.documentId, expiresAt: code.expiresAt },
        'mdoc provisioning code issued by an operator',
      );
      return reply.code(201).send(code);
    },
  );

  app.get(
    '/admin/v1/mdoc/codes',
    {
      schema: {
        tags,
        summary: 'Provisioning codes, newest first (filter by document), with their state',
        querystring: Type.Object({
          ...Paging,
          documentId: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
        }),
        response: { 200: page(Code), 400: ErrorReply, 401: ErrorReply },
      },
    },
    async (request) => records.codes(request.query),
  );

  app.delete(
    '/admin/v1/mdoc/codes/:code',
    {
      schema: {
        tags,
        summary: 'Revoke an unused provisioning code',
        params: Type.Object({ code: Type.String({ minLength: 1, maxLength: 64 }) }),
        response: { 200: Code, 401: ErrorReply, 404: ErrorReply, 409: ErrorReply },
      },
    },
    async (request) => {
      const code = await records.revokeCode(request.params.code);
      request.log.warn({ documentId: code.documentId }, 'mdoc provisioning code revoked by an operator');
      return code;
    },
  );
};
