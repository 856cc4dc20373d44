import { Type, type Static } from '@sinclair/typebox';

const secret = <T extends object>(schema: T): T => ({ ...schema, secret: true });

const Files = (what: string) =>
  Type.Array(Type.String({ minLength: 1 }), { default: [], description: `${what} (JSON array in the env var).` });

const PipSource = (what: string) =>
  Type.String({
    default: '',

    description: `${what}: a file path or an https URL (http only to localhost) holding a JSON array of strings or one entry a line (# comments allowed); empty keeps the bundle's list. Replaces the active bundle's list while it loads; refreshed every dsr.pip.refreshSeconds.`,
  });

/** gematik DSR zero-trust resource access (config key `dsr`, docs/dsr.md, docs/protocols/dsr.md). */
export const DsrConfigSchema = Type.Object(
  {
    enabled: Type.Boolean({
      default: true,
      description:
        'Serve DSR: the device management service (/dsr/…: nonce, register-device, device-attestation, device-token, device-registrations, jwks), the PEP (/pep/{strict|lax}/auth_request) and the bundle administration API.',
    }),
    issuer: Type.String({
      minLength: 1,
      default: 'keyward-dsr',
      description: 'iss of the device tokens this GMS issues; PEPs may restrict it (dsr.pep.issuers).',
    }),
    nonceTtlSeconds: Type.Integer({
      minimum: 60,
      maximum: 86_400,
      default: 3600,
      description: 'How long a /dsr/nonce can be used (once), as the reference GMS: 60 minutes.',
    }),
    registrationMaxAgeSeconds: Type.Integer({
      minimum: 60,
      maximum: 86_400,
      default: 3600,
      description: "How old a registration token's iat may be.",
    }),
    attestationMaxAgeSeconds: Type.Integer({
      minimum: 60,
      maximum: 86_400,
      default: 1800,
      description: "How old a device-attestation token's iat may be.",
    }),
    clockSkewSeconds: Type.Integer({
      minimum: 0,
      maximum: 600,
      default: 60,
      description: 'How far ahead of the server clock a token iat may lie (device clocks running fast).',
    }),
    masterDataFile: Type.String({
      default: '',
      description:
        "The GMS master data (the reference's masterData.json: availablePackages, availableAppIds, trustedSDKVersions). Empty uses the shipped reference master data (assets/dsr/master-data.json: gematik's demo app and SDK versions 1.0 and 0.0.1).",
    }),
    cardCaFiles: Files(
      "PEM files of health-card CAs (e.g. GEM.EGK-CA…) a registration token's card certificate must chain to. With trustSimulatorRoots the simulator card CA is trusted too",
    ),
    pinnedCardCertificateFiles: Files(
      "PEM files of card certificates trusted as they are (for test cards whose CA is not at hand, such as gematik's virtual card)",
    ),
    android: Type.Record(Type.String(), Type.Unknown(), {
      default: {},
      description:
        "android.policy options to override for DSR registrations and attestations (JSON). When it names no apps, the master data's availablePackages are the allowed apps.",
    }),
    deviceCa: Type.Object(
      {
        rootCertificateFile: Type.String({ default: '', description: 'PEM root of the device CA.' }),
        intermediateCertificateFile: Type.String({
          default: '',
          description: "PEM intermediate that issues the devices' mTLS client certificates.",
        }),
        intermediateKeyFile: secret(Type.String({ default: '', description: 'PEM private key of that intermediate.' })),
        validityDays: Type.Integer({
          minimum: 1,
          maximum: 3650,
          default: 365,
          description: 'Validity of an issued device certificate (the reference GMS: 365 days).',
        }),
      },
      {
        additionalProperties: false,
        default: {},
        description:
          'All three files, or none: then a development CA is generated under <dataDir>/keys/dsr-device-ca. keyward ca init --name "… Device CA" makes a production one (root.pem, intermediate.pem, intermediate.key.pem go in these three options).',
      },
    ),
    signingKeysFile: secret(
      Type.String({
        default: '',
        description:
          'JSON file of the ES256 keys device tokens are signed with ({"keys":[{kid, createdAt, privateKey}]}, kid = JWK thumbprint; the newest already created signs, all are in /dsr/jwks.json). Empty generates a development key in <dataDir>/keys/dsr-signing-keys.json; keyward dsr keys init|rotate make and rotate production ones.',
      }),
    ),
    tokenLifetimeSeconds: Type.Integer({
      minimum: 60,
      maximum: 86_400,
      default: 3600,
      description: 'Lifetime of a device token (the reference: 60 minutes).',
    }),
    authCodeTtlSeconds: Type.Integer({
      minimum: 10,
      maximum: 600,
      default: 60,
      description: 'How long an authorization code from /dsr/device-attestation can be exchanged (once).',
    }),
    clientCertificateHeader: Type.String({
      default: 'x-client-certificate',
      pattern: '^[A-Za-z0-9-]{1,64}$',
      description:
        "Request header a reverse proxy forwards the client certificate in (nginx: $ssl_client_escaped_cert), for the GMS's mTLS routes (only from dsr.trustedProxies) and the PEP.",
    }),
    trustedProxies: Type.Array(Type.String({ minLength: 1 }), {
      default: [],
      description:
        "Addresses or CIDRs (e.g. 127.0.0.1/32, 10.0.0.0/8, ::1/128) of reverse proxies whose forwarded client certificate is believed on the GMS routes, and the only callers the PEP answers. Separate from trustProxy (X-Forwarded-*). Empty: the GMS counts only certificates presented to Keyward's own TLS listener, and the PEP answers any caller (a warning at start) (JSON array in the env var).",
    }),
    playIntegrity: Type.Object(
      {
        keys: secret(
          Type.Array(
            Type.Object(
              {
                decryptionKey: Type.String({ minLength: 1, description: 'Base64 AES-256 key from the Play Console.' }),
                verificationKey: Type.String({
                  minLength: 1,
                  description: 'Base64 DER EC public key from the Play Console.',
                }),
              },
              { additionalProperties: false },
            ),
            {
              default: [],
              description:
                'Play Integrity response keys ("manage and download my response encryption keys"), to verify integrity verdicts locally. Without keys a verdict is carried into the device token as reported and marked verified: false (JSON in the env var).',
            },
          ),
        ),
        maxAgeSeconds: Type.Integer({
          minimum: 10,
          maximum: 86_400,
          default: 600,
          description: "How old a verified integrity verdict's timestampMillis may be.",
        }),
      },
      { additionalProperties: false, default: {} },
    ),
    pep: Type.Object(
      {
        gmsJwksFiles: Files(
          "JWKS files of further GMSs whose device tokens the PEP accepts (e.g. a reference GMS's key); this server's own keys are always accepted",
        ),
        issuers: Type.Array(Type.String({ minLength: 1 }), {
          default: [],
          description: 'Accepted device-token iss values; empty accepts any issuer whose key is trusted.',
        }),
        tokenCacheSize: Type.Integer({
          minimum: 1,
          maximum: 10_000_000,
          default: 10_000,
          description:
            'Verified device tokens kept (by hash, until they expire), so repeated requests skip the signature check.',
        }),
        clockToleranceSeconds: Type.Integer({
          minimum: 0,
          maximum: 600,
          default: 30,
          description: 'Clock skew tolerated on device-token times.',
        }),
      },
      { additionalProperties: false, default: {} },
    ),
    bundles: Type.Object(
      {
        keyFiles: Files(
          "PEM EC P-256 public keys of the policy administrators; a bundle is accepted only when signed by one (its kid = the key's JWK thumbprint)",
        ),
        url: Type.String({
          default: '',
          pattern: '^(|https?://.+)$',
          description:
            'https URL (http only to localhost) a signed active bundle is polled from (ETag honoured, redirects not followed); empty: bundles come only through PUT /admin/v1/dsr/bundles/active|simulation.',
        }),
        pollSeconds: Type.Integer({
          minimum: 1,
          maximum: 86_400,
          default: 30,
          description:
            'How often each instance reads the stored bundles (so all instances switch within this interval) and polls dsr.bundles.url.',
        }),
      },
      { additionalProperties: false, default: {} },
    ),
    pip: Type.Object(
      {
        blockedIps: PipSource('Blocked client addresses and CIDRs'),
        blockedUsers: PipSource('Blocked user identifiers (KVNR)'),
        allowedCountries: PipSource('Allowed country codes'),
        torExitNodes: PipSource("Tor exit node addresses (Tor's bulk exit list works as is)"),
        refreshSeconds: Type.Integer({
          minimum: 10,
          maximum: 86_400,
          default: 300,
          description: 'How often the PIP lists are read again.',
        }),
      },
      { additionalProperties: false, default: {} },
    ),
  },
  { additionalProperties: false, default: {} },
);

/** Keyward's own TLS listener for DSR's mutual-TLS routes (config key `tls`). */
export const TlsConfigSchema = Type.Object(
  {
    enabled: Type.Boolean({
      default: true,
      description:
        'Listen with TLS (and ask for client certificates) on tls.port beside the plain listener, for the DSR mTLS routes (device-attestation, device-token, device-registrations). Off when a reverse proxy terminates TLS and forwards the client certificate (dsr.trustedProxies). Only while dsr.enabled.',
    }),
    port: Type.Integer({
      minimum: 0,
      maximum: 65_535,
      default: 18443,
      description: 'TCP port of the TLS listener (on host); 0 picks a free one.',
    }),
    certFile: Type.String({
      default: '',
      description:
        'PEM server certificate chain. Empty, with tls.keyFile empty: a development certificate for localhost and 127.0.0.1 is generated under <dataDir>/keys/tls.',
    }),
    keyFile: secret(Type.String({ default: '', description: 'PEM private key of tls.certFile.' })),
    clientCaFiles: Files(
      'PEM CA certificates named in the TLS CertificateRequest besides the device CA (the device CA is always named; the certificate is checked by Keyward, not by the handshake)',
    ),
  },
  { additionalProperties: false, default: {} },
);

export type DsrConfig = Static<typeof DsrConfigSchema>;
export type TlsConfig = Static<typeof TlsConfigSchema>;
