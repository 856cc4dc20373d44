import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser, BrowserContext, Cookie, Page, Response } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseCrl } from '../../src/crypto/x509/crl.js';
import { launchChromium, openPage, screenshotPath, skipWithoutChromium } from '../helpers/browser.js';
import { addOperator, TEST_PASSWORD } from '../helpers/console.js';
import { type ConsoleData, seedConsoleData } from '../helpers/console-data.js';
import { decisionsAbout } from '../helpers/decisions.js';
import { startSimulatorServer, type TestServer } from '../helpers/server.js';

/**
 * The operator console (issue 13) in Debian's chromium, against one server holding data the
 * simulators made over HTTP: Warden binding certificates, MDVM wallets, a WebAuthn credential.
 * Failed sign-ins are counted per address too (every context here comes from 127.0.0.1), so only
 * the last test signs in wrongly.
 */

const API_KEY = 'console-browser-operator-key-0123456789';
const MAX_FAILURES = 3;
const ADMIN = 'console-admin';
const OPERATOR = 'console-operator';
const VIEWER = 'console-viewer';
const LOCKED = 'console-locked';
/** The simulated wallet the vulnerable class is about, and one on another model. */
const VULNERABLE_MODEL = 'Kw Console Phone V';
const SAFE_MODEL = 'Kw Console Phone S';

let server: TestServer;
let data: ConsoleData;
/** Chromium starts while the simulators make the data. */
let launching: Promise<Browser> | undefined;

beforeAll(async () => {
  if (!skipWithoutChromium) launching = launchChromium();
  server = await startSimulatorServer({
    options: {
      admin: { apiKeys: [API_KEY] },
      console: { login: { maxFailures: MAX_FAILURES, lockoutSeconds: 900 } },
      fido2: { mds: { enabled: false } },
    },
  });
  await Promise.all([
    addOperator(server, ADMIN, 'admin'),
    addOperator(server, OPERATOR, 'operator'),
    addOperator(server, VIEWER, 'viewer'),
    addOperator(server, LOCKED, 'viewer'),
  ]);
  // Certificates: [0] shown on the pages, [1] revoked by the operator, [2] the viewer's and the cross-site page's target.
  data = await seedConsoleData(server, { certificates: 3, walletModels: [SAFE_MODEL, VULNERABLE_MODEL] });
}, 60_000);
afterAll(async () => {
  await server?.close();
  await (await launching?.catch(() => undefined))?.close();
});

/** The serial as a CRL lists it: lowercase hex without leading zeros. */
const crlSerial = (serial: string) => BigInt(`0x${serial}`).toString(16);

async function crlSerials(): Promise<Set<string>> {
  const response = await fetch(`${server.url}/api/v1/crl`);
  expect(response.status).toBe(200);
  const crl = parseCrl(new Uint8Array(await response.arrayBuffer()), 'METADATA_CRL_INVALID');
  return new Set(crl.revoked.keys());
}

const stored = (serial: string) => server.services.store.bindingCertificates.find(serial);

describe.skipIf(skipWithoutChromium)('the operator console in Chromium', () => {
  let browser: Browser;
  let opened: { context: BrowserContext; problems: string[] }[] = [];

  beforeAll(async () => {
    browser = await launching!;
  });
  afterEach(async () => {
    for (const { context, problems } of opened) {
      await context.close();
      // No uncaught error and no CSP violation on any page.
      expect(problems).toEqual([]);
    }
    opened = [];
  });

  /** A fresh context (no cookie) with its problems collected. */
  async function freshPage(): Promise<Page> {
    const { context, page, problems } = await openPage(browser);
    opened.push({ context, problems });
    return page;
  }

  const h1 = (page: Page) => page.getByRole('heading', { level: 1 }).textContent();
  const consoleNav = (page: Page) => page.getByRole('navigation', { name: 'Console' });

  /** Session cookies of the operators signed in so far: a test after the first reuses the session. */
  const sessions = new Map<string, Cookie[]>();

  /** A page of `name`'s at `path`: signed in through the form the first time, with the same session afterwards. */
  async function signedIn(name: string, path = '/console'): Promise<Page> {
    const page = await freshPage();
    const cookies = sessions.get(name);
    if (cookies) {
      await page.context().addCookies(cookies);
      await page.goto(`${server.url}${path}`);
    } else {
      await page.goto(`${server.url}/console/login?next=${encodeURIComponent(path)}`);
      await page.getByLabel('Username').fill(name);
      await page.getByLabel('Password').fill(TEST_PASSWORD);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.waitForURL(`${server.url}${path}`);
      sessions.set(name, await page.context().cookies());
    }
    expect(new URL(page.url()).pathname).toBe(path);
    return page;
  }

  /** Inputs, selects and text areas without a label (hidden inputs aside): their names. (Scripts run in the page.) */
  const unlabelled = (page: Page): Promise<string[]> =>
    page.evaluate(`[...document.querySelectorAll('input:not([type=hidden]), select, textarea')]
      .filter((control) => control.labels.length === 0 && !control.getAttribute('aria-label') && !control.getAttribute('aria-labelledby'))
      .map((control) => control.name || control.outerHTML)`);

  /** Element ids used more than once on the page (a label's `for` finds only the first). */
  const duplicateIds = (page: Page): Promise<string[]> =>
    page.evaluate(`(() => {
      const ids = [...document.querySelectorAll('[id]')].map((element) => element.id);
      return [...new Set(ids.filter((id, i) => ids.indexOf(id) !== i))];
    })()`);

  /** The checks every signed-in page passes: unique ids, labelled controls, the four landmarks, one h1. */
  async function expectAccessible(page: Page) {
    const where = new URL(page.url()).pathname;
    expect.soft(await duplicateIds(page), where).toEqual([]);
    expect.soft(await unlabelled(page), where).toEqual([]);
    expect(await page.getByRole('banner').count()).toBe(1);
    expect(await consoleNav(page).count()).toBe(1);
    expect(await page.getByRole('main').count()).toBe(1);
    expect(await page.getByRole('contentinfo').count()).toBe(1);
    expect(await page.getByRole('heading', { level: 1 }).count()).toBe(1);
  }

  /** The focused element. */
  const focused = (page: Page): Promise<{ tag: string; id: string; text: string }> =>
    page.evaluate(`(() => {
      const element = document.activeElement;
      return { tag: element?.tagName ?? '', id: element?.id ?? '', text: element?.textContent?.trim() ?? '' };
    })()`);

  it('signs the admin in by keyboard and shows each page with the seeded data', async () => {
    const page = await freshPage();
    await page.goto(`${server.url}/console/events`);
    // Not signed in: the sign-in form, which comes back to the page asked for.
    await page.waitForURL(/\/console\/login\?next=/);
    expect(await h1(page)).toBe('Sign in');
    expect(await unlabelled(page)).toEqual([]);
    expect(await page.getByRole('main').count()).toBe(1);
    expect(await page.getByRole('contentinfo').count()).toBe(1);
    await page.screenshot({ path: screenshotPath('console-login'), fullPage: true });
    // The user name has the focus; typing, Tab, typing and Enter sign in.
    await expect.poll(async () => (await focused(page)).id).toBe('username');
    await page.keyboard.type(ADMIN);
    await page.keyboard.press('Tab');
    expect((await focused(page)).id).toBe('password');
    await page.keyboard.type(TEST_PASSWORD);
    await page.keyboard.press('Enter');
    await page.waitForURL(`${server.url}/console/events`);
    expect(await h1(page)).toBe('Decision log');
    sessions.set(ADMIN, await page.context().cookies());

    const [shown, , vulnerable] = [data.certificates[0]!, data.certificates[1]!, data.wallets[1]!];
    const safe = data.wallets[0]!;
    /** What each page must show of the seeded data (pages of capabilities not seeded here: their heading only). */
    const expectations: Record<string, { title: string; check?: () => Promise<void> }> = {
      '/console': {
        title: 'Overview',
        check: async () => {
          const main = page.getByRole('main');
          // What the simulators made, counted: 3 certificates, 2 wallets, 1 credential; 3 + 4 + 1 accepted decisions.
          const card = (label: string) =>
            main.locator('.card').filter({ hasText: label }).locator('.value').textContent();
          expect(await card('binding certificates (not revoked)')).toBe('3');
          expect(await card('active wallets')).toBe('2');
          expect(await card('WebAuthn credentials')).toBe('1');
          const perCapability = page.getByRole('table', { name: /Decisions per capability/ });
          const counts = async (capability: string) =>
            (
              await perCapability
                .getByRole('row')
                .filter({ has: page.getByRole('link', { name: capability, exact: true }) })
                .getByRole('cell')
                .allTextContents()
            ).map((text) => text.trim());
          expect(await counts('warden')).toEqual(['warden', '3', '0']);
          expect(await counts('mdvm')).toEqual(['mdvm', '4', '0']);
          expect(await counts('fido2')).toEqual(['fido2', '1', '0']);
          expect(
            await page
              .getByRole('table', { name: /Backing services/ })
              .getByText('Warden CRL')
              .count(),
          ).toBe(1);
        },
      },
      '/console/events': {
        title: 'Decision log',
        check: async () => {
          const rows = page.getByRole('table', { name: /Verification decisions/ }).getByRole('row');
          const text = (await rows.allTextContents()).join('\n');
          // Warden attests (3), MDVM registrations and renewals (2 + 2), the WebAuthn registration.
          expect(await rows.count()).toBeGreaterThanOrEqual(1 + 3 + 4 + 1);
          for (const capability of ['warden', 'mdvm', 'fido2']) expect(text).toContain(capability);
          for (const operation of ['register', 'renew']) expect(text).toContain(operation);
          expect(text).toContain('accepted');
        },
      },
      '/console/certificates': {
        title: 'Binding certificates',
        check: async () => {
          const table = page.getByRole('table', { name: /Issued binding certificates/ });
          for (const { serial } of data.certificates)
            expect(await table.locator(`a[href="/console/certificates/${serial}"]`).count()).toBe(1);
          expect(await table.getByText('android').count()).toBeGreaterThanOrEqual(1);
          expect(await table.getByText('apple').count()).toBeGreaterThanOrEqual(1);
        },
      },
      '/console/wallets': {
        title: 'Wallets',
        check: async () => {
          const table = page.getByRole('table', { name: /Wallet-instance accounts/ });
          for (const wallet of [safe, vulnerable])
            expect(await table.getByRole('link', { name: wallet.mdvmWiId! }).count()).toBe(1);
          expect(await table.getByText(VULNERABLE_MODEL).count()).toBe(1);
        },
      },
      '/console/operators': {
        title: 'Operators',
        check: async () => {
          const table = page.getByRole('table', { name: 'Operator accounts' });
          for (const name of [ADMIN, OPERATOR, VIEWER, LOCKED])
            expect(await table.getByRole('cell', { name: new RegExp(`^${name}`) }).count()).toBe(1);
        },
      },
      '/console/audit': {
        title: 'Audit trail',
        check: async () => {
          const rows = page.getByRole('table', { name: /Operator actions/ }).getByRole('row');
          const logins = rows.filter({ hasText: 'login' }).filter({ hasText: ADMIN });
          expect(await logins.count()).toBeGreaterThanOrEqual(1);
          expect(await logins.first().getByText('127.0.0.1').count()).toBe(1);
          // The operators were added by `keyward operators add` (the tests' stand-in).
          expect(await rows.filter({ hasText: 'cli:test' }).count()).toBeGreaterThanOrEqual(4);
        },
      },
      '/console/dsr': { title: 'DSR' },
      '/console/provisioning': { title: 'Provisioning' },
      '/console/authenticators': {
        title: 'Authenticators',
        check: async () => {
          const main = (await page.getByRole('main').textContent()) ?? '';
          const { userName, credentialId } = data.credential!;
          expect(main.includes(userName) || main.includes(credentialId.slice(0, 12))).toBe(true);
        },
      },
    };

    const links = consoleNav(page).getByRole('link');
    const targets = await Promise.all(
      (await links.all()).map(async (link) => ({
        name: (await link.textContent())!,
        path: (await link.getAttribute('href'))!,
      })),
    );
    // The overview first, the admin pages last; the capability pages between them.
    expect(targets[0]).toEqual({ name: 'Overview', path: '/console' });
    expect(targets.slice(-2).map((target) => target.name)).toEqual(['Operators', 'Audit']);
    for (const required of ['/console/events', '/console/certificates', '/console/wallets', '/console/authenticators'])
      expect(targets.map((target) => target.path)).toContain(required);

    const visited: string[] = [];
    for (const { name, path } of targets) {
      await consoleNav(page).getByRole('link', { name, exact: true }).click();
      await page.waitForURL(`${server.url}${path}`);
      const expected = expectations[path];
      const title = await h1(page);
      if (expected?.title) expect(title, path).toBe(expected.title);
      else expect(title, path).toBeTruthy();
      // The current page is marked in the navigation.
      expect(await consoleNav(page).locator('[aria-current="page"]').textContent()).toBe(name);
      await expectAccessible(page);
      await expected?.check?.();
      const slug = path === '/console' ? 'overview' : path.slice('/console/'.length).replaceAll('/', '-');
      await page.screenshot({ path: screenshotPath(`console-${slug}`), fullPage: true });
      visited.push(slug);
    }
    expect(visited).toEqual(
      expect.arrayContaining(['overview', 'events', 'certificates', 'wallets', 'operators', 'audit']),
    );

    // A certificate's page shows its facts; the wallet sections show their (empty) lists and forms.
    await page.goto(`${server.url}/console/certificates/${shown.serial}`);
    expect(await h1(page)).toBe(`Certificate ${shown.serial.slice(0, 20)}${shown.serial.length > 20 ? '…' : ''}`);
    expect(await page.getByText(shown.serial, { exact: true }).count()).toBe(1);
    // The attested facts, as the simulated device reported and Warden recorded them.
    expect(await page.locator('pre.json').textContent()).toContain('"deviceName": "Console android"');
    await expectAccessible(page);
    await page.screenshot({ path: screenshotPath('console-certificate-detail'), fullPage: true });
    await page.goto(`${server.url}/console/wallets/accounts/${safe.mdvmWiId}`);
    expect(await page.getByText(safe.mdvmWiId!, { exact: true }).count()).toBe(1);
    await expectAccessible(page);
    await page.screenshot({ path: screenshotPath('console-wallet-detail'), fullPage: true });
    for (const [tab, title] of [
      ['Vulnerable device classes', 'Vulnerable device classes'],
      ['Leaked keys', 'Leaked attestation keys'],
    ] as const) {
      await page.goto(`${server.url}/console/wallets`);
      await page.getByRole('navigation', { name: 'Wallet sections' }).getByRole('link', { name: tab }).click();
      await page.waitForURL(/\/console\/wallets\/(classes|leaked-keys)$/);
      expect(await h1(page)).toBe(title);
      await expectAccessible(page);
      await page.screenshot({
        path: screenshotPath(`console-wallets-${page.url().split('/').at(-1)}`),
        fullPage: true,
      });
    }
    const { credentialId } = data.credential!;
    await page.goto(`${server.url}/console/authenticators/credentials/${credentialId}`);
    expect(await h1(page)).toBe(`Credential ${credentialId.slice(0, 16)}…`);
    expect(await page.getByText(credentialId, { exact: true }).count()).toBeGreaterThanOrEqual(1);
    await expectAccessible(page);
    await page.screenshot({ path: screenshotPath('console-credential-detail'), fullPage: true });
    // The capability pages' sections: headings, accessibility, screenshots.
    for (const [path, title] of [
      ['/console/authenticators/metadata', 'FIDO metadata'],
      ['/console/dsr/policies', 'DSR policy bundles'],
      ['/console/dsr/pep', 'PEP denials and shadow divergences'],
      ['/console/provisioning/codes', 'Provisioning codes'],
      ['/console/provisioning/credentials', 'Issued credentials'],
    ] as const) {
      await page.goto(`${server.url}${path}`);
      expect(await h1(page), path).toBe(title);
      await expectAccessible(page);
      await page.screenshot({
        path: screenshotPath(`console-${path.slice('/console/'.length).replace('/', '-')}`),
        fullPage: true,
      });
    }
    const [event] = await decisionsAbout(server, { capability: 'warden' });
    await page.goto(`${server.url}/console/events/${event!.id}`);
    expect(await h1(page)).toBe(`Decision ${event!.id}`);
    await expectAccessible(page);
    await page.screenshot({ path: screenshotPath('console-event-detail'), fullPage: true });
  }, 60_000);

  it('is usable by keyboard alone: the skip link comes first, and Tab and Enter follow a navigation link', async () => {
    const page = await signedIn(ADMIN);
    for (const path of ['/console', '/console/certificates', '/console/wallets/classes', '/console/operators']) {
      await page.goto(`${server.url}${path}`);
      await page.keyboard.press('Tab');
      expect(await focused(page), path).toMatchObject({ tag: 'A', text: 'Skip to content' });
      // The skip link is visible when focused and moves the focus to the main content.
      expect(await page.getByRole('link', { name: 'Skip to content' }).isVisible()).toBe(true);
      await page.keyboard.press('Enter');
      await expect.poll(async () => (await focused(page)).id).toBe('main');
    }

    await page.goto(`${server.url}/console`);
    let reached = false;
    for (let presses = 0; presses < 20 && !reached; presses++) {
      await page.keyboard.press('Tab');
      reached = (await focused(page)).text === 'Wallets';
    }
    expect(reached).toBe(true);
    await page.keyboard.press('Enter');
    await page.waitForURL(`${server.url}/console/wallets`);
    expect(await h1(page)).toBe('Wallets');
  });

  it('revokes a certificate from its page: the operator picks a reason, and the serial is on the CRL', async () => {
    const { serial } = data.certificates[1]!;
    expect(await crlSerials()).not.toContain(crlSerial(serial));
    const page = await signedIn(OPERATOR, '/console/certificates');
    await page.locator(`a[href="/console/certificates/${serial}"]`).click();
    await page.waitForURL(`${server.url}/console/certificates/${serial}`);
    const form = page.getByRole('form', { name: 'Revoke this certificate' });
    await form.getByLabel('Reason').selectOption('keyCompromise');
    await form.getByRole('button', { name: 'Revoke' }).click();
    await page.waitForURL(`${server.url}/console/certificates/${serial}?done=revoked`);
    expect(await page.getByRole('status').textContent()).toContain('Revoked: the certificate is on the CRL');
    expect(await page.getByRole('main').locator('.badge').first().textContent()).toBe('revoked');
    expect(await page.getByRole('button', { name: 'Revoke' }).count()).toBe(0);
    await page.screenshot({ path: screenshotPath('console-certificate-revoked'), fullPage: true });

    expect(await crlSerials()).toContain(crlSerial(serial));
    const response = await fetch(`${server.url}/api/v1/crl`);
    const entry = parseCrl(new Uint8Array(await response.arrayBuffer()), 'METADATA_CRL_INVALID').revoked.get(
      crlSerial(serial),
    );
    expect(entry?.reason).toBe('keyCompromise');
    expect(await stored(serial)).toMatchObject({ revocationReason: 'keyCompromise', revokedAt: expect.any(Number) });
    const [audited] = await server.services.store.auditEvents.list({ action: 'certificate.revoke' }, { limit: 10 });
    expect(audited).toMatchObject({
      actor: OPERATOR,
      target: serial,
      outcome: 'ok',
      detail: { reason: 'keyCompromise' },
    });
  });

  it('adds a vulnerable device class from the Wallets page: the simulated wallet on that model can no longer renew', async () => {
    const [safe, vulnerable] = data.wallets as [(typeof data.wallets)[0], (typeof data.wallets)[0]];
    const page = await signedIn(OPERATOR, '/console/wallets');
    await page
      .getByRole('navigation', { name: 'Wallet sections' })
      .getByRole('link', { name: 'Vulnerable device classes' })
      .click();
    await page.waitForURL(`${server.url}/console/wallets/classes`);
    const form = page.getByRole('form', { name: 'Add a vulnerable device class' });
    await form.getByLabel('Id', { exact: true }).fill('DCVDB-CONSOLE-1');
    await form.getByLabel('Platform', { exact: true }).selectOption('android');
    await form.getByLabel('Classification', { exact: true }).selectOption('fixable');
    await form.getByLabel('Models (comma-separated)', { exact: true }).fill(VULNERABLE_MODEL.toLowerCase());
    await form.getByLabel('Description', { exact: true }).fill('Found by the console test');
    await form.getByRole('button', { name: 'Add class' }).click();
    await page.waitForURL(/\/console\/wallets\/classes\?done=class-added/);
    expect(await page.getByRole('status').textContent()).toContain('The class is listed');
    const listed = page.getByRole('table', { name: 'Device classes whose wallets are refused' });
    expect(await listed.getByRole('row').filter({ hasText: 'DCVDB-CONSOLE-1' }).getByText('fixable').count()).toBe(1);
    await page.screenshot({ path: screenshotPath('console-wallets-class-added'), fullPage: true });

    const refused = await vulnerable.renew(server.url);
    expect({ status: refused.status, code: refused.body.code }).toEqual({
      status: 403,
      code: 'DEVICE_VULNERABLE_FIXABLE',
    });
    expect((await safe.renew(server.url)).status).toBe(200);

    // The refusal is in the decision log, and the console shows it about that wallet.
    await server.services.decisions.flush();
    await page.goto(`${server.url}/console/events?subject=${vulnerable.mdvmWiId}`);
    const first = page
      .getByRole('table', { name: /Verification decisions/ })
      .getByRole('row')
      .nth(1);
    expect(await first.textContent()).toMatch(/mdvm.*renew.*rejected.*DEVICE_VULNERABLE_FIXABLE/s);
    await page.screenshot({ path: screenshotPath('console-events-vulnerable'), fullPage: true });
  });

  it('does not let a viewer revoke: no Revoke button, and a forced form post is refused with 403', async () => {
    const { serial } = data.certificates[2]!;
    const page = await signedIn(VIEWER, `/console/certificates/${serial}`);
    // A viewer sees neither the operators' nor the audit page.
    const names = await consoleNav(page).getByRole('link').allTextContents();
    expect(names).toContain('Certificates');
    expect(names).not.toContain('Operators');
    expect(names).not.toContain('Audit');
    expect(await h1(page)).toMatch(/^Certificate /);
    expect(await page.getByRole('button', { name: 'Revoke' }).count()).toBe(0);
    expect(await page.getByRole('form', { name: 'Revoke this certificate' }).count()).toBe(0);

    // The viewer builds the form themselves, with their own session's valid CSRF token, and submits it from the page.
    const answered = page.waitForResponse((response) => response.url().endsWith(`/${serial}/revoke`));
    await page.evaluate(`(() => {
      const form = Object.assign(document.createElement('form'), { method: 'post', action: '/console/certificates/${serial}/revoke' });
      const token = document.querySelector('input[name="_csrf"]').value;
      for (const [name, value] of [['_csrf', token], ['reason', 'keyCompromise']])
        form.append(Object.assign(document.createElement('input'), { type: 'hidden', name, value }));
      document.body.append(form);
      form.submit();
    })()`);
    const response = await answered;
    expect(response.status()).toBe(403);
    await page.waitForLoadState();
    expect(await page.getByRole('alert').textContent()).toBe('This action needs the operator role.');
    await page.screenshot({ path: screenshotPath('console-viewer-refused'), fullPage: true });

    // The same over the API request context (the session cookie, a valid token, no browser headers).
    const token = /name="_csrf" value="([^"]+)"/.exec(
      await (await page.request.get(`${server.url}/console`)).text(),
    )![1]!;
    const forced = await page.request.post(`${server.url}/console/certificates/${serial}/revoke`, {
      form: { _csrf: token, reason: 'keyCompromise' },
      maxRedirects: 0,
    });
    expect(forced.status()).toBe(403);

    expect((await stored(serial))?.revokedAt).toBeUndefined();
    expect(await crlSerials()).not.toContain(crlSerial(serial));
    const refusals = await server.services.store.auditEvents.list({ actor: VIEWER }, { limit: 10 });
    expect(refusals.filter((event) => event.outcome === 'refused')).toHaveLength(2);
    expect(refusals[0]).toMatchObject({ target: serial, detail: { role: 'viewer', needed: 'operator' } });
  });

  describe('a form posted to the console from another site', () => {
    let attacker: Server;
    let attackerPort: number;
    /** The attacker's page: the revoke form, submitted on load (with a CSRF token if the attacker has one). */
    let forgery = { serial: '', token: '' };

    beforeAll(async () => {
      attacker = createServer((_request, response) => {
        const { serial, token } = forgery;
        response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
        response.end(`<!doctype html><html lang="en"><head><title>Win a prize</title></head><body>
<form id="forged" method="post" action="${server.url}/console/certificates/${serial}/revoke">
<input type="hidden" name="_csrf" value="${token}"><input type="hidden" name="reason" value="keyCompromise">
</form><script>document.getElementById('forged').submit();</script></body></html>`);
      });
      await new Promise<void>((resolve) => attacker.listen(0, '127.0.0.1', resolve));
      attackerPort = (attacker.address() as AddressInfo).port;
    });
    afterAll(async () => {
      await new Promise((resolve) => attacker?.close(resolve));
    });

    /** Opens the attacker's page (at `host`) in the signed-in operator's browser; the console's answer to the forged post. */
    async function forge(
      host: string,
      options: { leakToken?: boolean } = {},
    ): Promise<{ page: Page; response: Response }> {
      const { serial } = data.certificates[2]!;
      const page = await signedIn(OPERATOR, `/console/certificates/${serial}`);
      // A leaked token is the operator's real one, as a page of theirs carries it.
      const token = options.leakToken ? await page.locator('input[name="_csrf"]').first().inputValue() : '';
      if (options.leakToken) expect(token).not.toBe('');
      forgery = { serial, token };
      const answered = page.waitForResponse((response) => response.url().endsWith(`/${serial}/revoke`));
      await page.goto(`http://${host}:${attackerPort}/`);
      const response = await answered;
      await page.waitForLoadState();
      return { page, response };
    }

    async function expectNotRevoked() {
      const { serial } = data.certificates[2]!;
      expect((await stored(serial))?.revokedAt).toBeUndefined();
      expect(await crlSerials()).not.toContain(crlSerial(serial));
    }

    it('is refused from a cross-site page (the session cookie is SameSite=Strict, and the page has no token)', async () => {
      // localhost is another site than 127.0.0.1: the browser sends no session cookie with the post.
      const { page, response } = await forge('localhost');
      expect(response.status()).toBe(403);
      expect(await response.request().headerValue('sec-fetch-site')).toBe('cross-site');
      expect(await page.getByRole('alert').textContent()).toBe('Sign in to the console first.');
      await page.screenshot({ path: screenshotPath('console-cross-site-refused'), fullPage: true });
      await expectNotRevoked();
    });

    it('is refused from another origin of the same site even with a leaked CSRF token (Origin and Sec-Fetch-Site)', async () => {
      // 127.0.0.1 on another port: same site, so the cookie goes along; the token is the operator's real one.
      const { page: probe, response } = await forge('127.0.0.1', { leakToken: true });
      expect(response.status()).toBe(403);
      expect(await response.request().headerValue('sec-fetch-site')).toBe('same-site');
      expect(await response.request().headerValue('origin')).toBe(`http://127.0.0.1:${attackerPort}`);
      expect(await response.request().headerValue('cookie')).toMatch(/keyward-console=/);
      expect(await probe.getByRole('alert').textContent()).toContain('did not come from the console');
      await probe.screenshot({ path: screenshotPath('console-cross-origin-refused'), fullPage: true });
      await expectNotRevoked();
    });
  });

  // Last: the failures also count against 127.0.0.1, which every other test signs in from.
  it('refuses a wrong password, then locks the user name (and the address) after three failures', async () => {
    const page = await freshPage();
    await page.goto(`${server.url}/console/login`);
    const attempt = async (password: string) => {
      await page.getByLabel('Username').fill(LOCKED);
      await page.getByLabel('Password').fill(password);
      const answered = page.waitForResponse((response) => response.request().method() === 'POST');
      await page.getByRole('button', { name: 'Sign in' }).click();
      const response = await answered;
      await page.waitForLoadState();
      expect(new URL(page.url()).pathname).toBe('/console/login');
      expect(await h1(page)).toBe('Sign in');
      return { status: response.status(), alert: await page.getByRole('alert').textContent(), response };
    };

    const wrong = await attempt('not the password at all');
    expect(wrong).toMatchObject({ status: 401, alert: 'The user name or password is wrong.' });
    // The name stays filled in; the password does not.
    expect(await page.getByLabel('Username').inputValue()).toBe(LOCKED);
    expect(await page.getByLabel('Password').inputValue()).toBe('');
    await page.screenshot({ path: screenshotPath('console-login-refused'), fullPage: true });
    expect((await attempt('still not the password')).status).toBe(401);

    const LOCKED_MESSAGE = 'Too many failed sign-ins: signing in is locked for a while. Try again later.';
    const third = await attempt('wrong for the third time');
    expect(third).toMatchObject({ status: 429, alert: LOCKED_MESSAGE });
    const retryAfter = Number(await third.response.headerValue('retry-after'));
    expect(retryAfter).toBeGreaterThan(890);
    expect(retryAfter).toBeLessThanOrEqual(900);

    // Even the right password is refused now, and no session cookie is set.
    expect(await attempt(TEST_PASSWORD)).toMatchObject({ status: 429, alert: LOCKED_MESSAGE });
    await page.screenshot({ path: screenshotPath('console-login-locked'), fullPage: true });
    expect(await page.context().cookies()).toEqual([]);
    await page.goto(`${server.url}/console`);
    await page.waitForURL(/\/console\/login/);

    // The address is locked too: the admin, from the same address, is refused as well.
    await page.getByLabel('Username').fill(ADMIN);
    await page.getByLabel('Password').fill(TEST_PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForLoadState();
    expect(await page.getByRole('alert').textContent()).toBe(LOCKED_MESSAGE);

    const refused = await server.services.store.auditEvents.list({ actor: LOCKED, action: 'login' }, { limit: 10 });
    expect(refused.map((event) => [event.outcome, event.detail.reason])).toEqual([
      ['refused', 'locked'],
      ['refused', 'locked'],
      ['refused', 'invalid'],
      ['refused', 'invalid'],
    ]);
  });
});
