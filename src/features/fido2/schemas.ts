import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { CONVEYANCES, REQUIREMENTS } from '../../config/fido2.js';

/**
 * JSON of the FIDO Alliance server-conformance API (docs/protocols/webauthn.md), as Janssen's FIDO2
 * server serves it: requests and replies of /fido2/attestation/* and /fido2/assertion/*. Binary
 * values are base64url without padding.
 */

const Base64Url = (description: string) =>
  Type.String({ pattern: '^[A-Za-z0-9_-]*$', maxLength: 65_536, description: `${description} (base64url)` });

const literals = <T extends string>(values: readonly T[]) => values.map((value) => Type.Literal(value));
const Requirement = (description: string) => Type.Union(literals(REQUIREMENTS), { description });
/** At most 16 extensions with names of at most 64 characters; values nested deeper than 8 levels are refused (EXTENSIONS_TOO_DEEP). */
const ExtensionsOf = (description: string) =>
  Type.Record(Type.String(), Type.Unknown(), {
    maxProperties: 16,
    propertyNames: { maxLength: 64 },
    description: `${description} At most 16, names of at most 64 characters, values nested at most 8 levels deep.`,
  });
const Extensions = ExtensionsOf('WebAuthn client extension inputs, passed to the client as given.');
const ExtensionResults = ExtensionsOf('WebAuthn client extension outputs (getClientExtensionResults()).');

const Transports = Type.Array(Type.String({ maxLength: 32 }), {
  maxItems: 16,
  description: 'Authenticator transports (usb, nfc, ble, hybrid, internal, …).',
});

export const CredentialDescriptor = Type.Object({
  type: Type.Literal('public-key'),
  id: Base64Url('Credential id'),
  transports: Type.Optional(Transports),
});

const AuthenticatorSelection = Type.Object(
  {
    authenticatorAttachment: Type.Optional(Type.Union([Type.Literal('platform'), Type.Literal('cross-platform')])),
    residentKey: Type.Optional(Requirement('Discoverable credential wanted: required, preferred or discouraged.')),
    requireResidentKey: Type.Optional(Type.Boolean({ description: 'WebAuthn Level 1 form of residentKey required.' })),
    userVerification: Type.Optional(Requirement('User verification wanted: required, preferred or discouraged.')),
  },
  { description: 'AuthenticatorSelectionCriteria (WebAuthn §5.4.4).' },
);

/** A status reply's common fields (ServerResponse). */
const ServerResponseFields = {
  status: Type.Union([Type.Literal('ok'), Type.Literal('failed')]),
  errorMessage: Type.String({ description: 'Empty when status is ok.' }),
};

/** Every failure of the ceremony routes (HTTP 400, or 500 for a server fault). */
export const Fido2FailureReply = Type.Object(
  {
    status: Type.Literal('failed'),
    errorMessage: Type.String({ description: 'Client-safe explanation.' }),
    code: Type.String({ description: "Keyward's stable error code (docs/errors.md)." }),
  },
  { description: 'A ceremony failure (ServerResponse with status failed).' },
);
export type Fido2Failure = Static<typeof Fido2FailureReply>;

const UserName = Type.String({ minLength: 1, maxLength: 256, description: 'The user name (e.g. alex@example.com).' });

export const CreationOptionsRequest = Type.Object(
  {
    username: UserName,
    displayName: Type.Optional(
      Type.String({
        maxLength: 256,
        description:
          'Name for display (e.g. Alex Müller). The conformance profile requires it; Janssen and its clients treat it as optional, so without it the user name is shown.',
      }),
    ),
    authenticatorSelection: Type.Optional(AuthenticatorSelection),
    attestation: Type.Optional(
      Type.Union(literals(CONVEYANCES), {
        description: 'Attestation conveyance; default fido2.attestation (none when fido2.attestationMode is disabled).',
      }),
    ),
    extensions: Type.Optional(Extensions),
  },
  { $id: 'ServerPublicKeyCredentialCreationOptionsRequest' },
);
export type CreationOptionsRequest = Static<typeof CreationOptionsRequest>;

export const CreationOptionsReply = Type.Object(
  {
    ...ServerResponseFields,
    rp: Type.Object({ id: Type.String(), name: Type.String() }),
    user: Type.Object({
      id: Base64Url('User handle'),
      name: Type.String(),
      displayName: Type.String(),
    }),
    challenge: Base64Url('Challenge'),
    pubKeyCredParams: Type.Array(Type.Object({ type: Type.Literal('public-key'), alg: Type.Integer() })),
    timeout: Type.Integer({ description: 'Milliseconds.' }),
    excludeCredentials: Type.Array(CredentialDescriptor, { description: "The user's registered credentials." }),
    authenticatorSelection: Type.Object({
      authenticatorAttachment: Type.Optional(Type.String()),
      residentKey: Type.String(),
      requireResidentKey: Type.Boolean(),
      userVerification: Type.String(),
    }),
    attestation: Type.String(),
    extensions: Extensions,
  },
  { $id: 'ServerPublicKeyCredentialCreationOptionsResponse' },
);
export type CreationOptionsReply = Static<typeof CreationOptionsReply>;

export const GetOptionsRequest = Type.Object(
  {
    username: Type.Optional(
      Type.String({
        maxLength: 256,
        description: 'The user name; empty or absent asks for a discoverable credential (sign-in without a user name).',
      }),
    ),
    userVerification: Type.Optional(Requirement('User verification wanted; default fido2.userVerification.')),
    extensions: Type.Optional(Extensions),
  },
  { $id: 'ServerPublicKeyCredentialGetOptionsRequest' },
);
export type GetOptionsRequest = Static<typeof GetOptionsRequest>;

export const GetOptionsReply = Type.Object(
  {
    ...ServerResponseFields,
    challenge: Base64Url('Challenge'),
    timeout: Type.Integer({ description: 'Milliseconds.' }),
    rpId: Type.String(),
    allowCredentials: Type.Array(CredentialDescriptor, {
      description: "The user's credentials; empty for a sign-in without a user name.",
    }),
    userVerification: Type.String(),
    extensions: Type.Optional(Extensions),
  },
  { $id: 'ServerPublicKeyCredentialGetOptionsResponse' },
);
export type GetOptionsReply = Static<typeof GetOptionsReply>;

/** Binary fields of responses: base64url (padding and the standard alphabet are tolerated, as clients and test vectors send them). */
const Encoded = (description: string) => Type.String({ maxLength: 262_144, description: `${description} (base64url)` });

/** A response body: documented here, read and checked field by field by the WebAuthn parsers. */
const CredentialBody = (response: TSchema, id: string) =>
  Type.Object(
    {
      id: Encoded('Credential id'),
      rawId: Type.Optional(Encoded('Credential id')),
      type: Type.String({ description: 'public-key' }),
      response,
      getClientExtensionResults: Type.Optional(ExtensionResults),
      clientExtensionResults: Type.Optional(ExtensionResults),
      authenticatorAttachment: Type.Optional(Type.String()),
    },
    { $id: id, description: 'ServerPublicKeyCredential, or the PublicKeyCredential.toJSON() shape.' },
  );

export const AttestationResultRequest = CredentialBody(
  Type.Object({
    clientDataJSON: Encoded('clientDataJSON'),
    attestationObject: Encoded('Attestation object'),
    transports: Type.Optional(Transports),
  }),
  'ServerAuthenticatorAttestationResponse',
);

export const AssertionResultRequest = CredentialBody(
  Type.Object({
    clientDataJSON: Encoded('clientDataJSON'),
    authenticatorData: Encoded('Authenticator data'),
    signature: Encoded('Signature'),
    userHandle: Type.Optional(Type.Union([Encoded('User handle'), Type.Null()])),
  }),
  'ServerAuthenticatorAssertionResponse',
);

const MetadataView = Type.Object({
  found: Type.Boolean(),
  description: Type.Optional(Type.String()),
  statuses: Type.Array(Type.String(), { description: 'Status reports in effect at registration, latest last.' }),
  source: Type.Optional(Type.String()),
});

export const AttestationResultReply = Type.Object(
  {
    ...ServerResponseFields,
    credentialId: Base64Url('Credential id'),
    userHandle: Base64Url('User handle'),
    fmt: Type.String({ description: 'Attestation statement format.' }),
    attestationType: Type.String({ description: 'none, self, basic, attca or anonca.' }),
    trust: Type.String({ description: 'root, metadata or none.' }),
    aaguid: Type.String(),
    userVerified: Type.Boolean(),
    backupEligible: Type.Boolean(),
    backedUp: Type.Boolean(),
    metadata: MetadataView,
    warnings: Type.Array(Type.String()),
  },
  { $id: 'Fido2AttestationResult' },
);
export type AttestationResultReply = Static<typeof AttestationResultReply>;

export const AssertionResultReply = Type.Object(
  {
    ...ServerResponseFields,
    credentialId: Base64Url('Credential id'),
    userHandle: Base64Url('User handle'),
    userName: Type.String(),
    counter: Type.Integer(),
    userVerified: Type.Boolean(),
    backedUp: Type.Boolean(),
  },
  { $id: 'Fido2AssertionResult' },
);
export type AssertionResultReply = Static<typeof AssertionResultReply>;

// Operator API

export const CredentialIdParams = Type.Object({
  id: Type.String({ pattern: '^[A-Za-z0-9_-]{1,1400}$', description: 'Credential id (base64url).' }),
});

export const CredentialListQuery = Type.Object({
  userName: Type.Optional(Type.String({ minLength: 1, maxLength: 256, description: 'Only this user name.' })),
  aaguid: Type.Optional(
    Type.String({
      pattern: '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$',
      description: 'Only credentials of this authenticator model.',
    }),
  ),
  offset: Type.Integer({ minimum: 0, maximum: 1_000_000, default: 0 }),
  limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }),
});

export const CredentialView = Type.Object({
  credentialId: Type.String(),
  userHandle: Type.String(),
  userName: Type.String(),
  alg: Type.Integer(),
  counter: Type.Integer(),
  transports: Type.Array(Type.String()),
  aaguid: Type.String(),
  fmt: Type.String(),
  attestationType: Type.String(),
  trust: Type.String(),
  attestation: Type.Record(Type.String(), Type.Unknown(), {
    description: 'The attestation outcome at registration: outcome, anchor, trustPath, warnings, facts.',
  }),
  metadata: MetadataView,
  userVerified: Type.Boolean(),
  backupEligible: Type.Boolean(),
  backedUp: Type.Boolean(),
  discoverable: Type.Optional(Type.Boolean()),
  possiblyClonedAt: Type.Optional(Type.String({ format: 'date-time' })),
  createdAt: Type.String({ format: 'date-time' }),
  lastUsedAt: Type.Optional(Type.String({ format: 'date-time' })),
  publicKey: Type.String({ description: 'The COSE_Key (base64url).' }),
});
export type CredentialView = Static<typeof CredentialView>;

export const CredentialListReply = Type.Object({
  credentials: Type.Array(CredentialView),
  total: Type.Integer({ description: 'How many credentials match the filters.' }),
  offset: Type.Integer(),
  limit: Type.Integer(),
});
