import { join } from 'node:path';
import type { Command } from 'commander';
import { systemClock } from '../clock.js';
import type { KeywardConfig } from '../config/schema.js';
import { isKeywardError } from '../errors.js';
import type { ParsedCertificate } from '../crypto/x509/certificate.js';
import type { MdocRecords } from '../features/provisioning/records.js';
import type { Store } from '../store/store.js';
import { readInputJson } from './input-files.js';
import { writeKeyDirectory } from './key-directory.js';
import { addConfigOptions, configFromFlags, withConfiguredStore } from './options.js';
import { UsageError } from './usage-error.js';

const print = (value: unknown): void => {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
};

const nonNegativeInt = (name: string) => (value: string) => {
  if (!/^\d{1,9}$/.test(value)) throw new UsageError(`${name} must be a non-negative integer`);
  return Number(value);
};

const positiveInt = (name: string) => (value: string) => {
  if (!/^\d{1,9}$/.test(value) || Number(value) < 1) throw new UsageError(`${name} must be a positive integer`);
  return Number(value);
};

/** Opens the configured store and the record operations over it; a record error a caller made is a UsageError (exit 2). */
async function withRecords<T>(
  flags: Record<string, unknown>,
  use: (records: MdocRecords, store: Store, config: KeywardConfig) => Promise<T>,
): Promise<T> {
  const { config } = configFromFlags(flags);
  const { MdocRecords } = await import('../features/provisioning/records.js');
  return withConfiguredStore(config, async (store) => {
    const records = new MdocRecords(store.mdocRecords, systemClock, {
      codeTtlSeconds: config.provisioning.codeTtlSeconds,
    });
    try {
      return await use(records, store, config);
    } catch (error) {
      if (isKeywardError(error) && error.category === 'CONTENT' && error.code !== 'MDOC_CODE_NOT_REVOCABLE') {
        const detail = error.detail && !error.message.includes(error.detail) ? ` (${error.detail})` : '';
        throw new UsageError(`${error.message}${detail}`);
      }
      throw error;
    }
  });
}

const dataFile = (file: string) => readInputJson(file, 'document data');

export function registerMdoc(program: Command): void {
  const mdoc = program
    .command('mdoc')
    .description('the mdoc issuer (ISO 18013-5) and its system of record for identity-credential provisioning');
  registerCa(mdoc);

  const persons = mdoc.command('persons').description('persons of the system of record');
  addConfigOptions(persons.command('add').description('add a person').argument('<name>', 'display name')).action(
    async (name: string, flags: Record<string, unknown>) => print(await withRecords(flags, (r) => r.addPerson(name))),
  );
  addConfigOptions(
    persons
      .command('list')
      .description('list persons, newest first')
      .option('--search <text>', 'only names containing this (case-insensitive)')
      .option('--limit <n>', 'at most this many', positiveInt('--limit'), 100)
      .option('--offset <n>', 'skip this many', nonNegativeInt('--offset'), 0),
  ).action(async (flags: Record<string, unknown>) =>
    print(
      await withRecords(flags, (r) =>
        r.persons({
          limit: flags.limit as number,
          offset: flags.offset as number,
          ...(flags.search ? { search: String(flags.search) } : {}),
        }),
      ),
    ),
  );
  addConfigOptions(
    persons
      .command('show')
      .description('a person with their documents, codes and the credentials devices hold')
      .argument('<id>', 'person id'),
  ).action(async (id: string, flags: Record<string, unknown>) => print(await withRecords(flags, (r) => r.person(id))));

  const documents = mdoc.command('documents').description("persons' documents (docType and data)");
  addConfigOptions(
    documents
      .command('add')
      .description('add a document to a person')
      .requiredOption('--person <id>', 'person id')
      .requiredOption('--doc-type <docType>', 'e.g. org.iso.18013.5.1.mDL')
      .requiredOption('--data <file>', 'JSON data: {"accessControlProfiles"?, "nameSpaces": {ns: {element: value}}}'),
  ).action(async (flags: Record<string, unknown>) => {
    const data = dataFile(String(flags.data));
    print(
      await withRecords(flags, (r) =>
        r.addDocument({ personId: String(flags.person), docType: String(flags.docType), data }),
      ),
    );
  });
  addConfigOptions(
    documents
      .command('update')
      .description("replace a document's data (each credential's next UpdateCredential answers update)")
      .argument('<id>', 'document id')
      .requiredOption('--data <file>', 'JSON data, as for add'),
  ).action(async (id: string, flags: Record<string, unknown>) => {
    const data = dataFile(String(flags.data));
    print(await withRecords(flags, (r) => r.updateDocument(id, data)));
  });
  addConfigOptions(
    documents
      .command('delete')
      .description('mark a document for deletion (its codes are revoked; UpdateCredential answers delete)')
      .argument('<id>', 'document id'),
  ).action(async (id: string, flags: Record<string, unknown>) =>
    print(await withRecords(flags, (r) => r.deleteDocument(id))),
  );
  addConfigOptions(
    documents
      .command('list')
      .description('list documents, newest first')
      .option('--person <id>', 'only this person’s')
      .option('--limit <n>', 'at most this many', positiveInt('--limit'), 100),
  ).action(async (flags: Record<string, unknown>) =>
    print(
      await withRecords(flags, (r) =>
        r.documents({ limit: flags.limit as number, ...(flags.person ? { personId: String(flags.person) } : {}) }),
      ),
    ),
  );

  const codes = mdoc.command('codes').description('single-use provisioning codes');
  addConfigOptions(
    codes
      .command('issue')
      .description('issue a random provisioning code (20 digits) for a document')
      .requiredOption('--document <id>', 'document id')
      .option('--ttl <seconds>', 'validity (default provisioning.codeTtlSeconds)', positiveInt('--ttl')),
  ).action(async (flags: Record<string, unknown>) =>
    print(await withRecords(flags, (r) => r.issueCode(String(flags.document), flags.ttl as number | undefined))),
  );
  addConfigOptions(
    codes
      .command('list')
      .description('list codes, newest first, with their state')
      .option('--document <id>', 'only this document’s')
      .option('--limit <n>', 'at most this many', positiveInt('--limit'), 100),
  ).action(async (flags: Record<string, unknown>) =>
    print(
      await withRecords(flags, (r) =>
        r.codes({
          limit: flags.limit as number,
          ...(flags.document ? { documentId: String(flags.document) } : {}),
        }),
      ),
    ),
  );
  addConfigOptions(
    codes.command('revoke').description('revoke an unused code').argument('<code>', 'the provisioning code'),
  ).action(async (code: string, flags: Record<string, unknown>) => {
    try {
      print(await withRecords(flags, (r) => r.revokeCode(code)));
    } catch (error) {
      if (!isKeywardError(error)) throw error;
      print({ code, outcome: 'not-revocable', message: error.message });
      process.exitCode = 1;
    }
  });

  addConfigOptions(
    mdoc
      .command('seed-test-data')
      .description(
        'load the reference test data: Erika Mustermann (code 1001, an mDL) and John Doe (2001); running it again adds nothing',
      ),
  ).action(async (flags: Record<string, unknown>) => {
    const { seedTestData } = await import('../features/provisioning/test-data.js');
    print(await withRecords(flags, (records, store) => seedTestData(records, store.mdocRecords)));
  });
}

function describe(certificate: ParsedCertificate) {
  return {
    subject: certificate.subject,
    issuer: certificate.issuer,
    serial: certificate.serial,
    notBefore: new Date(certificate.notBefore).toISOString(),
    notAfter: new Date(certificate.notAfter).toISOString(),
    key: `${certificate.keyAlgorithm}${certificate.curve ? ` ${certificate.curve}` : ''}`,
    sha256Fingerprint: certificate.fingerprint,
  };
}

function registerCa(mdoc: Command): void {
  const ca = mdoc
    .command('ca')
    .description('the issuing authority: IACA root and document signer (ISO 18013-5 Annex B)');
  addConfigOptions(
    ca
      .command('init')
      .description('generate an IACA (EC P-256) and a document signer into a new directory')
      .requiredOption('--out <dir>', 'directory to create (must not exist); keys are written with mode 0600')
      .option('--country <C>', 'ISO 3166-1 alpha-2 country (default provisioning.issuer.country)')
      .option('--organization <O>', 'organization (default provisioning.issuer.organization)')
      .option('--state <ST>', 'stateOrProvinceName, when the issuer is a state')
      .option(
        '--crl-url <url>',
        'CRL distribution point URL (default provisioning.issuer.crlUrl or <publicBaseUrl>/mdoc/iaca.crl)',
      )
      .option('--iaca-days <n>', 'IACA validity in days (at most 7305)', positiveInt('--iaca-days'), 3650)
      .option('--signer-days <n>', 'document signer validity in days (at most 457)', positiveInt('--signer-days'), 365),
  ).action(async (flags: Record<string, unknown>) => {
    const { config } = configFromFlags(flags);
    const { resolvePublicBaseUrl } = await import('../config/derived.js');
    const { generateIssuerCaDirectory, ISSUER_CA_FILES: FILES } = await import(
      '../features/provisioning/issuer/issuer-ca-directory.js'
    );
    const issuer = config.provisioning.issuer;
    let files: Record<string, string>;
    try {
      files = generateIssuerCaDirectory(
        {
          country: String(flags.country ?? issuer.country),
          organization: String(flags.organization ?? issuer.organization),
          ...(flags.state ? { stateOrProvince: String(flags.state) } : {}),
          crlUrl: String(flags.crlUrl ?? (issuer.crlUrl || `${resolvePublicBaseUrl(config)}/mdoc/iaca.crl`)),
          validityDays: flags.iacaDays as number,
          documentSigner: { validityDays: flags.signerDays as number },
        },
        systemClock.now(),
      );
    } catch (error) {
      throw new UsageError((error as Error).message);
    }
    const directory = writeKeyDirectory(String(flags.out), files);
    print({
      directory,
      configuration: {
        'provisioning.issuer.iacaCertificateFile': join(directory, FILES.iacaCertificate),
        'provisioning.issuer.documentSignerCertificateFile': join(directory, FILES.documentSignerCertificate),
        'provisioning.issuer.documentSignerKeyFile': join(directory, FILES.documentSignerKey),
      },
      note: `Keep ${FILES.iacaKey} offline: the server needs only the document signer key. Give verifiers ${FILES.iacaCertificate}, and publish the IACA's CRL at the cRLDistributionPoints URL.`,
    });
  });
  addConfigOptions(
    ca
      .command('show')
      .description('print the configured (or development) issuer: subjects, validity, fingerprints and Annex B facts'),
  ).action(async (flags: Record<string, unknown>) => {
    const { config } = configFromFlags(flags);
    const { loadMdocIssuer } = await import('../keys/load-keys.js');
    const { annexBFacts } = await import('../features/provisioning/issuer/annex-b-profile.js');
    const development: { name: string; path: string; created: boolean }[] = [];
    const signer = loadMdocIssuer(config, systemClock, development);
    const facts = (certificate: ParsedCertificate) => {
      const read = annexBFacts(certificate);
      const hex = (bytes: Uint8Array | undefined) => (bytes ? Buffer.from(bytes).toString('hex') : undefined);
      return {
        ...read,
        subjectKeyIdentifier: hex(read.subjectKeyIdentifier),
        authorityKeyIdentifier: hex(read.authorityKeyIdentifier),
      };
    };
    print({
      source: development[0]
        ? { development: development[0].path, created: development[0].created }
        : { configured: 'provisioning.issuer' },
      iaca: { ...describe(signer.iaca), annexB: facts(signer.iaca) },
      documentSigner: { ...describe(signer.certificate), annexB: facts(signer.certificate) },
    });
  });
}
