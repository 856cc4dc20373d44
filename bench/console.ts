import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { Agent, request as httpRequest } from 'node:http';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { OperatorAccounts } from '../src/features/console/operator-accounts.js';
import { systemClock } from '../src/clock.js';
import { openStore } from '../src/store/store.js';
import { type ConsoleSeedSamples, seedConsoleStore } from './console-seed.js';
import pg from 'pg';
import {
  benchDatabaseUrl,
  benchLine,
  dropSchema,
  log,
  processCpuSeconds,
  startServerProcess,
  reachable,
} from './lib.js';

/**
 * The operator console's page times (issue 13 item 7: every console page answers in under 100 ms
 * with 100,000 decision events and 10,000 devices in the store), on SQLite and, when it is
 * reachable, PostgreSQL (BENCH_DATABASE_URL, else TEST_DATABASE_URL, else the local default).
 *
 * Per database: the store is seeded through its own methods (console-seed.ts: decision events
 * over the last 30 days, 10,000 each of binding certificates, wallet accounts, WebAuthn
 * credentials, DSR registrations and provisioned mdoc credentials, 1,000 audit entries), an admin
 * operator is added, a `keyward serve` child process starts on that database and the benchmark
 * signs in. The pages measured are found, not listed: every link of the console's navigation
 * (pages added later are measured too), the section tabs and ranges a page links to, each list's
 * page 2 and a far page (page 100, or for the newest-first logs the ids 99 pages further down),
 * the first row's detail view, and the filtered queries an operator runs most (decisions by
 * capability + outcome, by code, by subject, in an old one-day window; certificates by serial
 * prefix; wallets by id prefix).
 *
 * After one untimed pass over all URLs (the server's start-up work done), each URL: WARMUP
 * requests, then SAMPLES timed sequential GETs over a keep-alive connection
 * (time to the last byte of the answer, the session check included). The table shows median, p95,
 * max and the server process's CPU time per request (from /proc: what the page costs whatever
 * else the machine is doing; PostgreSQL's own CPU is not in it) per URL, and the machine's load
 * average; the BENCH lines give the worst p95 over all URLs (bound 100 ms), and the overview's
 * and decision log's worst. On PostgreSQL the seeded schema is ANALYZEd before the server starts,
 * as autovacuum would have done while the tables grew.
 */
const EVENTS = Number(process.env.BENCH_CONSOLE_EVENTS ?? 100_000);
const DEVICES = Number(process.env.BENCH_CONSOLE_DEVICES ?? 10_000);
const AUDIT = Number(process.env.BENCH_CONSOLE_AUDIT ?? 1_000);
const WARMUP = Number(process.env.BENCH_CONSOLE_WARMUP ?? 3);
const SAMPLES = Number(process.env.BENCH_CONSOLE_SAMPLES ?? 20);
/** Measure only the URLs containing this text (investigating one page); all when unset. */
const ONLY = process.env.BENCH_CONSOLE_ONLY;
const BOUND_MS = 100;
const FAR_PAGE = 100;
/** The server's environment: offline (no Android revocation list, no FIDO MDS download), any free TLS port. */
const SERVER_ENV = {
  KEYWARD_ANDROID_REVOCATION_ENABLED: 'false',
  KEYWARD_FIDO2_MDS_ENABLED: 'false',
  KEYWARD_TLS_PORT: '0',
};
const OPERATOR = 'bench';
const PASSWORD = `bench-${randomBytes(12).toString('hex')}`;
const DAY = 86_400_000;

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

/** GET/POST over one keep-alive socket, so the times are the server's, not connection setup. */
class Client {
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 1 });
  cookie = '';
  constructor(readonly base: string) {}

  send(method: 'GET' | 'POST', path: string, form?: Record<string, string>): Promise<Answer> {
    const body = form ? new URLSearchParams(form).toString() : undefined;
    const headers: Record<string, string> = { accept: 'text/html' };
    if (this.cookie) headers.cookie = this.cookie;
    if (body !== undefined) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      headers['content-length'] = String(Buffer.byteLength(body));
      headers.origin = this.base;
      headers['sec-fetch-site'] = 'same-origin';
    }
    return new Promise((resolve, reject) => {
      const outgoing = httpRequest(`${this.base}${path}`, { method, agent: this.agent, headers }, (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 0,
            headers: response.headers,
            text: Buffer.concat(chunks).toString('utf8'),
          }),
        );
        response.on('error', reject);
      });
      outgoing.on('error', reject);
      outgoing.end(body);
    });
  }

  async signIn(name: string, password: string): Promise<void> {
    const answer = await this.send('POST', '/console/login', { username: name, password, next: '/console' });
    const setCookie = answer.headers['set-cookie'];
    const cookie = (Array.isArray(setCookie) ? setCookie[0] : setCookie)?.split(';')[0];
    if (answer.status !== 303 || !cookie) throw new Error(`sign-in answered ${answer.status}, no session cookie`);
    this.cookie = cookie;
  }

  /** A console page that must answer 200 with the console's layout. */
  async page(path: string): Promise<string> {
    const answer = await this.send('GET', path);
    if (answer.status !== 200 || !answer.text.includes('<main'))
      throw new Error(
        `GET ${path} answered ${answer.status}${answer.headers.location ? ` → ${answer.headers.location}` : ''}`,
      );
    return answer.text;
  }

  close() {
    this.agent.destroy();
  }
}

const decodeHtml = (href: string) =>
  href
    .replace(/&amp;/g, '&')
    .replace(/&#39;/g, "'")
    .replace(/&quot;/g, '"');
const hrefs = (fragment: string) => [...fragment.matchAll(/href="([^"]+)"/g)].map((match) => decodeHtml(match[1]!));

/** One URL to measure and why. */
interface Target {
  path: string;
  what: string;
}

/**
 * The URLs to measure, found from the console's own links: the navigation, each page's section
 * and range links, its pager (page 2, a far page), its first row's detail, plus the filtered
 * queries of the seeded samples.
 */
async function discover(client: Client, samples: ConsoleSeedSamples, now: number): Promise<Target[]> {
  const overview = await client.page('/console');
  const nav = /<nav class="side"[^>]*>([\s\S]*?)<\/nav>/.exec(overview)?.[1];
  if (!nav) throw new Error('no navigation on /console');
  const pages = hrefs(nav);
  const targets: Target[] = [];
  const seen = new Set<string>();
  const add = (path: string, what: string) => {
    if (seen.has(path)) return;
    seen.add(path);
    targets.push({ path, what });
  };
  for (const page of pages) {
    add(page, 'page');
    const text = await client.page(page);
    const main = /<main[^>]*>([\s\S]*)<\/main>/.exec(text)?.[1] ?? '';
    // Section tabs and ranges (every pager-styled nav but the page numbers).
    for (const [, label, links] of main.matchAll(/<nav class="pager" aria-label="([^"]*)">([\s\S]*?)<\/nav>/g))
      if (label !== 'Pages')
        for (const href of hrefs(links!)) if (href.startsWith('/console')) add(href, `${label!.toLowerCase()} link`);
    // Page 2 and a far page.
    const pager = /<nav class="pager" aria-label="Pages">([\s\S]*?)<\/nav>/.exec(main)?.[1];
    const next = pager && /rel="next" href="([^"]+)"/.exec(pager)?.[1];
    if (next) {
      const second = decodeHtml(next);
      add(second, 'page 2');
      const url = new URL(second, 'http://console');
      if (url.searchParams.has('page')) {
        url.searchParams.set('page', String(FAR_PAGE));
        add(`${url.pathname}${url.search}`, `page ${FAR_PAGE}`);
      } else if (url.searchParams.has('before')) {
        // Keyset paging: the rows shown per page, then the ids FAR_PAGE − 1 pages further down.
        const rows = (/<tbody>([\s\S]*?)<\/tbody>/.exec(main)?.[1]?.match(/<tr>/g) ?? []).length;
        const before = Number(url.searchParams.get('before')) - (FAR_PAGE - 2) * rows;
        if (before > 0) {
          url.searchParams.set('before', String(before));
          add(`${url.pathname}${url.search}`, `~page ${FAR_PAGE} (keyset)`);
        }
      }
    }
    // The first row's detail view.
    const body = /<tbody>([\s\S]*?)<\/tbody>/.exec(main)?.[1];
    const detail = body && hrefs(body).find((href) => href.startsWith(`${page}/`) && !href.includes('?'));
    if (detail) {
      add(detail, 'detail (first row)');
      // One level further: the first link of each other kind of detail the detail view links to
      // (a person's document, a document's credential…), by the path without its last segment.
      const kind = (href: string) => href.slice(0, href.lastIndexOf('/'));
      const kinds = new Set([kind(detail)]);
      const detailMain = /<main[^>]*>([\s\S]*)<\/main>/.exec(await client.page(detail))?.[1] ?? '';
      for (const href of hrefs(detailMain))
        if (
          href.startsWith(`${page}/`) &&
          !href.includes('?') &&
          !seen.has(href) &&
          kind(href) !== page &&
          !kinds.has(kind(href))
        ) {
          kinds.add(kind(href));
          add(href, 'detail (linked from a detail)');
        }
    }
  }
  const since = new Date(now - 7 * DAY).toISOString().slice(0, 16);
  const oldDay = (days: number) => new Date(now - days * DAY).toISOString().slice(0, 16);
  const filtered: [string, string][] = [
    ['/console/events?capability=warden&outcome=rejected', 'filter capability+outcome'],
    [
      `/console/events?capability=mdvm&outcome=rejected&from=${since}`,
      'filter capability+outcome+from (overview link)',
    ],
    ['/console/events?capability=provisioning&operation=delete', 'filter capability+operation (rare)'],
    [`/console/events?code=${samples.eventCode}`, 'filter code'],
    [`/console/events?outcome=rejected&platform=ios`, 'filter outcome+platform'],
    [`/console/events?subject=${encodeURIComponent(samples.eventSubject)}`, 'filter subject'],
    [`/console/events?from=${oldDay(29)}&to=${oldDay(28)}`, 'filter one day, 29 days ago'],
    [`/console/certificates?q=${samples.serialPrefix}`, 'search serial prefix'],
    ['/console/certificates?q=device-5000', 'search subject substring'],
    ['/console/certificates?state=revoked', 'filter revoked'],
    [`/console/wallets?q=${samples.walletPrefix}`, 'search id prefix'],
    ['/console/wallets?platform=ios&state=active', 'filter platform+state'],
    ['/console/audit?action=certificate.revoke', 'filter action'],
  ];
  const enabled = new Set(pages);
  for (const [path, what] of filtered) if (enabled.has(path.split('?')[0]!)) add(path, what);
  return targets;
}

const percentile = (sorted: number[], fraction: number) =>
  sorted[Math.min(sorted.length - 1, Math.ceil(fraction * sorted.length) - 1)]!;

interface Measured extends Target {
  median: number;
  p95: number;
  max: number;
  /** The server process's CPU time per request (ms), from /proc: what the page costs whatever else runs on the machine. */
  cpu: number;
  bytes: number;
}

async function measure(client: Client, target: Target, serverPid: number): Promise<Measured> {
  for (let warm = 0; warm < WARMUP; warm++) await client.page(target.path);
  const times: number[] = [];
  let bytes = 0;
  const cpuBefore = processCpuSeconds(serverPid);
  for (let sample = 0; sample < SAMPLES; sample++) {
    const started = performance.now();
    bytes = (await client.page(target.path)).length;
    times.push(performance.now() - started);
  }
  const cpu = ((processCpuSeconds(serverPid) - cpuBefore) * 1000) / SAMPLES;
  times.sort((a, b) => a - b);
  return { ...target, median: percentile(times, 0.5), p95: percentile(times, 0.95), max: times.at(-1)!, cpu, bytes };
}

/**
 * Refreshes PostgreSQL's planner statistics of the seeded schema: a database that grew to this
 * size over a month has been analyzed by autovacuum many times; one seeded a minute ago has not,
 * and its plans would be those of empty tables.
 */
async function analyzeSchema(databaseUrl: string, schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: databaseUrl, options: `-c search_path="${schema}"` });
  await client.connect();
  try {
    await client.query('analyze');
  } finally {
    await client.end();
  }
}

const machine = () =>
  `load average ${loadavg()
    .map((value) => value.toFixed(1))
    .join(' ')} on ${cpus().length} CPUs`;

const ms = (value: number) => value.toFixed(1).padStart(7);

interface Backend {
  name: 'sqlite' | 'postgres';
  label: string;
  storeOptions: Parameters<typeof openStore>[0];
  serveArgs: string[];
}

/** Seeds, serves, signs in and measures one database; returns the measured URLs. */
async function benchBackend(backend: Backend): Promise<Measured[]> {
  const now = Date.now();
  const store = await openStore(backend.storeOptions);
  let samples: ConsoleSeedSamples;
  try {
    const seed = await seedConsoleStore(store, { events: EVENTS, devices: DEVICES, audit: AUDIT, now });
    samples = seed.samples;
    const parts = Object.entries(seed.seconds)
      .map(([part, seconds]) => `${part} ${seconds.toFixed(1)} s`)
      .join(', ');
    log(
      `console ${backend.label}: seeded ${EVENTS} decision events, ${DEVICES} of each device kind, ${AUDIT} audit entries in ${seed.totalSeconds.toFixed(1)} s (${parts})`,
    );
    if (backend.name === 'postgres') await analyzeSchema(backend.storeOptions.url, backend.storeOptions.schema!);
    await new OperatorAccounts(store.operators, store.consoleSessions, store.auditEvents, systemClock).add(
      OPERATOR,
      'admin',
      PASSWORD,
      { actor: 'bench', actorKind: 'cli', address: 'local' },
    );
  } finally {
    await store.close();
  }
  const server = await startServerProcess(backend.serveArgs, { env: SERVER_ENV, logLevel: 'error' });
  const client = new Client(server.url);
  try {
    await client.signIn(OPERATOR, PASSWORD);
    const targets = await discover(client, samples, now);
    const measured = targets.filter((target) => !ONLY || target.path.includes(ONLY));
    // One pass over every URL first: the server's start-up work (JIT, caches, first queries of each
    // kind) is over before the first URL is timed, so the URLs measured first are not penalised.
    for (const target of measured) await client.page(target.path);
    const results: Measured[] = [];
    const loadBefore = machine();
    for (const target of measured) results.push(await measure(client, target, server.child.pid!));
    log(
      `console ${backend.label}: ${WARMUP} warm-up + ${SAMPLES} timed sequential GETs per URL (ms; cpu = the server process's CPU per request${backend.name === 'postgres' ? ', without PostgreSQL’s own' : ''}); ${loadBefore} before, ${machine()} after`,
    );
    log(
      `  ${'median'.padStart(7)} ${'p95'.padStart(7)} ${'max'.padStart(7)} ${'cpu'.padStart(7)} ${'KiB'.padStart(6)}  URL (what)`,
    );
    for (const result of results)
      log(
        `  ${ms(result.median)} ${ms(result.p95)} ${ms(result.max)} ${ms(result.cpu)} ${(result.bytes / 1024).toFixed(0).padStart(6)}  ${result.path} (${result.what})${result.p95 > BOUND_MS ? '  ** OVER 100 ms' : ''}`,
      );
    const over = results.filter((result) => result.p95 > BOUND_MS);
    if (over.length === 0) log(`console ${backend.label}: every URL's p95 is under ${BOUND_MS} ms`);
    for (const result of over) {
      const url = new URL(result.path, 'http://console');
      const filters = [...url.searchParams.entries()].map(([name, value]) => `${name}=${value}`).join(', ') || 'none';
      log(
        `console ${backend.label}: OVER ${BOUND_MS} ms: ${url.pathname} (${result.what}) filters: ${filters}; p95 ${result.p95.toFixed(1)} ms, median ${result.median.toFixed(1)} ms, server CPU ${result.cpu.toFixed(1)} ms per request`,
      );
    }
    return results;
  } finally {
    client.close();
    await server.stop();
  }
}

export async function run(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'keyward-bench-console-'));
  const schema = `kw_bench_${randomBytes(4).toString('hex')}`;
  const sqliteDir = join(work, 'sqlite');
  mkdirSync(sqliteDir, { recursive: true });
  const backends: Backend[] = [
    {
      name: 'sqlite',
      label: 'SQLite',
      // NORMAL only for seeding speed; the server opens the file with its own setting.
      storeOptions: { url: `sqlite:${join(sqliteDir, 'keyward.db')}`, sqliteSynchronous: 'NORMAL' },
      serveArgs: ['--data-dir', sqliteDir],
    },
  ];
  if (await reachable(benchDatabaseUrl, 5432))
    backends.push({
      name: 'postgres',
      label: 'PostgreSQL',
      storeOptions: { url: benchDatabaseUrl, schema },
      serveArgs: ['--data-dir', join(work, 'pg'), '--database-url', benchDatabaseUrl, '--database-schema', schema],
    });
  const skipped =
    backends.length === 1
      ? `console: PostgreSQL at ${benchDatabaseUrl.replace(/\/\/[^@]*@/, '//…@')} is not reachable: SKIPPED on PostgreSQL, no console_*_postgres figures (set BENCH_DATABASE_URL or TEST_DATABASE_URL)`
      : undefined;
  if (skipped) log(skipped);
  const lines: string[] = [];
  try {
    for (const backend of backends) {
      const results = await benchBackend(backend);
      const figures: [string, Measured[]][] = [
        ['page', results],
        ['overview', results.filter((result) => new URL(result.path, 'http://console').pathname === '/console')],
        ['events', results.filter((result) => result.path.startsWith('/console/events'))],
      ];
      // A figure without any URL measured (BENCH_CONSOLE_ONLY) is left out rather than shown as 0.
      for (const [figure, measured] of figures)
        if (measured.length > 0) {
          const p95 = Math.max(...measured.map((result) => result.p95));
          lines.push(
            benchLine(`console_${figure}_p95_${backend.name}`, p95, 'ms', {
              bound: BOUND_MS,
              fraction: p95 / BOUND_MS,
            }),
          );
        }
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
    await dropSchema(benchDatabaseUrl, schema);
  }
  if (skipped) log(skipped);
  for (const line of lines) log(line);
}
