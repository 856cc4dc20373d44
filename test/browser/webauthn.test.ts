import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_CONTENT_SECURITY_POLICY } from '../../src/features/fido2/demo-routes.js';
import {
  VirtualAuthenticator,
  type VirtualAuthenticatorOptions,
  launchChromium,
  openPage,
  screenshotPath,
  skipWithoutChromium,
} from '../helpers/browser.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

const API_KEY = 'browser-test-operator-key-0123456789';

/** Chromium's virtual CTAP2 authenticators attest with this AAGUID and a "Batch Certificate" no metadata knows. */
const CHROMIUM_VIRTUAL_AAGUID = '01020304-0506-0708-0102-030405060708';
const ZERO_AAGUID = '00000000-0000-0000-0000-000000000000';

const PLATFORM_PASSKEY: VirtualAuthenticatorOptions = {
  protocol: 'ctap2',
  transport: 'internal',
  hasResidentKey: true,
  hasUserVerification: true,
  isUserVerified: true,
  automaticPresenceSimulation: true,
};
const SECURITY_KEY: VirtualAuthenticatorOptions = {
  protocol: 'ctap2',
  transport: 'usb',
  hasResidentKey: false,
  hasUserVerification: false,
};
const U2F_KEY: VirtualAuthenticatorOptions = {
  protocol: 'u2f',
  transport: 'usb',
  hasResidentKey: false,
  hasUserVerification: false,
};

/** Takes WebAuthn Level 3's JSON methods away, so that demo.js's own conversions do the work. */
const WITHOUT_JSON_METHODS = `
  delete PublicKeyCredential.parseCreationOptionsFromJSON;
  delete PublicKeyCredential.parseRequestOptionsFromJSON;
  delete PublicKeyCredential.prototype.toJSON;
`;

let server: TestServer;
let port: string;

beforeAll(async () => {
  // Monitor mode (the default) with no BLOB download: the sandbox is offline.
  server = await startTestServer({
    // The demo registers twice for one user: fido2.allowAdditionalCredentials defaults to false.
    options: { admin: { apiKeys: [API_KEY] }, fido2: { mds: { enabled: false }, allowAdditionalCredentials: true } },
  });
  port = new URL(server.url).port;
});
afterAll(async () => {
  await server?.close();
});

let users = 0;
const newUserName = (prefix: string) => `${prefix}-${process.pid}-${++users}@example.com`;

/** The operator API's view of a user's credentials. */
async function storedCredentials(userName: string): Promise<any[]> {
  const response = await fetch(`${server.url}/admin/v1/fido2/credentials?userName=${encodeURIComponent(userName)}`, {
    headers: { authorization: `Bearer ${API_KEY}` },
  });
  expect(response.status).toBe(200);
  const listing: any = await response.json();
  expect(listing.total).toBe(listing.credentials.length);
  return listing.credentials;
}

describe('the demo page over HTTP', () => {
  const get = (path: string, headers: Record<string, string> = {}) => fetch(`${server.url}${path}`, { headers });

  it('serves the page with a strict content security policy, and its script and style sheet beside it', async () => {
    const page = await get('/fido2/demo');
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(page.headers.get('content-security-policy')).toBe(DEMO_CONTENT_SECURITY_POLICY);
    expect(page.headers.get('x-content-type-options')).toBe('nosniff');
    expect(page.headers.get('cache-control')).toBe('no-cache');
    const html = await page.text();
    expect(html).toContain('<script type="module" src="demo.js"></script>');
    expect(html).toContain('<link rel="stylesheet" href="demo.css">');
    // Nothing inline that the policy would block: every script has a src, no style elements or attributes, no handlers.
    expect(html.match(/<script\b[^>]*>/g)).toEqual(['<script type="module" src="demo.js">']);
    expect(html).not.toMatch(/<style\b|\sstyle=|\son[a-z]+=/i);

    const script = await get('/fido2/demo.js');
    expect(script.status).toBe(200);
    expect(script.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(await script.text()).toContain('navigator.credentials.create');
    const styles = await get('/fido2/demo.css');
    expect(styles.status).toBe(200);
    expect(styles.headers.get('content-type')).toBe('text/css; charset=utf-8');
  });

  it('answers a revalidation with 304 while the file is unchanged', async () => {
    const first = await get('/fido2/demo.js');
    const etag = first.headers.get('etag');
    expect(etag).toMatch(/^"[A-Za-z0-9_-]{27}"$/);
    const again = await get('/fido2/demo.js', { 'if-none-match': etag! });
    expect(again.status).toBe(304);
    expect(await again.text()).toBe('');
    const stale = await get('/fido2/demo.js', { 'if-none-match': '"something-else"' });
    expect(stale.status).toBe(200);
  });

  it('is not served when the relying party is disabled', async () => {
    const disabled = await startTestServer({ options: { fido2: { enabled: false } } });
    try {
      const response = await fetch(`${disabled.url}/fido2/demo`);
      expect(response.status).toBe(404);
    } finally {
      await disabled.close();
    }
  });
});

describe.skipIf(skipWithoutChromium)('the demo page in Chromium with a virtual authenticator', () => {
  let browser: Browser;
  let opened: { context: BrowserContext; problems: string[] }[] = [];

  beforeAll(async () => {
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
  });
  afterEach(async () => {
    for (const { context, problems } of opened) {
      await context.close();
      // No uncaught error, CSP or Trusted Types violation on any page.
      expect(problems).toEqual([]);
    }
    opened = [];
  });

  /** The demo page at http://localhost:<port> (RP ID localhost), with a virtual authenticator when given one. */
  async function openDemo(
    authenticatorOptions?: VirtualAuthenticatorOptions,
    { host = 'localhost', initScript }: { host?: string; initScript?: string } = {},
  ): Promise<{ page: Page; authenticator: VirtualAuthenticator | undefined }> {
    const { context, page, problems } = await openPage(browser, initScript);
    opened.push({ context, problems });
    const authenticator = authenticatorOptions
      ? await VirtualAuthenticator.attach(page, authenticatorOptions)
      : undefined;
    await page.goto(`http://${host}:${port}/fido2/demo`);
    await expect.poll(() => page.getByRole('button', { name: 'Register', exact: true }).isEnabled()).toBe(true);
    return { page, authenticator };
  }

  const status = (page: Page) => page.getByRole('status');
  const field = (page: Page, name: string) => page.locator(`#status [data-field="${name}"]`).textContent();

  /** Fills the user name, presses the button and waits for the ceremony's outcome; returns the status headline. */
  async function press(page: Page, button: 'Register' | 'Sign in' | 'Sign in with a passkey', userName: string) {
    await page.getByLabel('Username').fill(userName);
    await page.getByRole('button', { name: button, exact: true }).click();
    await page.locator('#status:is([data-outcome="ok"], [data-outcome="error"])').waitFor();
    return status(page).locator('.headline').textContent();
  }

  it('registers a platform passkey, then signs in with it by user name and without one', async () => {
    const { page, authenticator } = await openDemo(PLATFORM_PASSKEY);
    const userName = newUserName('passkey');
    expect(await page.locator('#environment').textContent()).toContain("the browser's built-in methods");

    expect(await press(page, 'Register', userName)).toBe(`Registered a credential for ${userName}`);
    expect(await status(page).getAttribute('data-outcome')).toBe('ok');
    // Chromium's virtual authenticator attests (packed, basic) with a certificate no configured or metadata root vouches for.
    expect(await field(page, 'fmt')).toBe('packed');
    expect(await field(page, 'attestationType')).toBe('basic');
    expect(await field(page, 'trust')).toBe('none');
    expect(await field(page, 'aaguid')).toBe(CHROMIUM_VIRTUAL_AAGUID);
    expect(await field(page, 'metadata')).toBe('not in the metadata');
    expect(await field(page, 'userVerified')).toBe('yes');
    const credentialId = await field(page, 'credentialId');
    await page.screenshot({ path: screenshotPath('platform-passkey-registered'), fullPage: true });

    const [held] = await authenticator!.credentials();
    expect(held).toMatchObject({ credentialId, isResidentCredential: true, rpId: 'localhost' });
    const [stored] = await storedCredentials(userName);
    expect(stored).toMatchObject({
      credentialId,
      userName,
      userHandle: held!.userHandle,
      fmt: 'packed',
      attestationType: 'basic',
      trust: 'none',
      aaguid: CHROMIUM_VIRTUAL_AAGUID,
      transports: ['internal'],
      discoverable: true,
      userVerified: true,
      counter: held!.signCount,
      attestation: { outcome: 'untrusted' },
      metadata: { found: false },
    });
    expect(stored.lastUsedAt).toBeUndefined();

    expect(await press(page, 'Sign in', userName)).toBe(`Signed in as ${userName}`);
    expect(await field(page, 'credentialId')).toBe(credentialId);
    expect(await field(page, 'userVerified')).toBe('yes');
    await page.screenshot({ path: screenshotPath('platform-passkey-signed-in'), fullPage: true });
    const afterSignIn = (await authenticator!.credentials())[0]!.signCount;
    expect(afterSignIn).toBeGreaterThan(held!.signCount);
    expect(await field(page, 'counter')).toBe(String(afterSignIn));
    const [used] = await storedCredentials(userName);
    expect(used.counter).toBe(afterSignIn);
    expect(used.lastUsedAt).toEqual(expect.any(String));

    // Without a user name the discoverable credential answers and names its user.
    expect(await press(page, 'Sign in with a passkey', '')).toBe(`Signed in as ${userName}`);
    expect(await field(page, 'credentialId')).toBe(credentialId);
    await page.screenshot({ path: screenshotPath('platform-passkey-signed-in-without-username'), fullPage: true });
    expect((await storedCredentials(userName))[0].counter).toBe((await authenticator!.credentials())[0]!.signCount);

    // The registered credential is excluded: the browser refuses to register the same authenticator again.
    expect(await press(page, 'Register', userName)).toBe('Registration failed');
    expect(await field(page, 'code')).toBe('InvalidStateError');
    expect(await storedCredentials(userName)).toHaveLength(1);
  });

  it('registers a CTAP2 security key with direct attestation and signs in, converting the JSON itself', async () => {
    const { page, authenticator } = await openDemo(SECURITY_KEY, { initScript: WITHOUT_JSON_METHODS });
    expect(await page.locator('#environment').textContent()).toContain('converted by this page');
    const userName = newUserName('security-key');

    expect(await press(page, 'Register', userName)).toBe(`Registered a credential for ${userName}`);
    expect(await field(page, 'fmt')).toBe('packed');
    expect(await field(page, 'attestationType')).toBe('basic');
    expect(await field(page, 'trust')).toBe('none');
    expect(await field(page, 'aaguid')).toBe(CHROMIUM_VIRTUAL_AAGUID);
    expect(await field(page, 'userVerified')).toBe('no');
    const credentialId = await field(page, 'credentialId');
    await page.screenshot({ path: screenshotPath('security-key-registered'), fullPage: true });
    const [held] = await authenticator!.credentials();
    expect(held).toMatchObject({ credentialId, isResidentCredential: false });
    expect((await storedCredentials(userName))[0]).toMatchObject({
      credentialId,
      fmt: 'packed',
      trust: 'none',
      transports: ['usb'],
      discoverable: false,
      userVerified: false,
    });

    expect(await press(page, 'Sign in', userName)).toBe(`Signed in as ${userName}`);
    expect(await field(page, 'credentialId')).toBe(credentialId);
    expect(await field(page, 'userVerified')).toBe('no');
    await page.screenshot({ path: screenshotPath('security-key-signed-in'), fullPage: true });
    expect((await storedCredentials(userName))[0].counter).toBe((await authenticator!.credentials())[0]!.signCount);
  });

  it('registers a U2F security key (fido-u2f) and signs in', async () => {
    const { page, authenticator } = await openDemo(U2F_KEY);
    const userName = newUserName('u2f-key');

    expect(await press(page, 'Register', userName)).toBe(`Registered a credential for ${userName}`);
    expect(await field(page, 'fmt')).toBe('fido-u2f');
    expect(await field(page, 'attestationType')).toBe('basic');
    expect(await field(page, 'trust')).toBe('none');
    expect(await field(page, 'aaguid')).toBe(ZERO_AAGUID);
    const credentialId = await field(page, 'credentialId');
    expect((await authenticator!.credentials())[0]!.credentialId).toBe(credentialId);
    expect((await storedCredentials(userName))[0]).toMatchObject({ credentialId, fmt: 'fido-u2f', trust: 'none' });

    expect(await press(page, 'Sign in', userName)).toBe(`Signed in as ${userName}`);
    expect(await field(page, 'credentialId')).toBe(credentialId);
    await page.screenshot({ path: screenshotPath('u2f-key-signed-in'), fullPage: true });
  });

  it('shows the code of a refused sign-in, and asks for a user name before registering', async () => {
    const { page } = await openDemo(PLATFORM_PASSKEY);
    const unknown = newUserName('nobody');

    expect(await press(page, 'Sign in', unknown)).toBe('Sign-in failed');
    expect(await status(page).getAttribute('data-outcome')).toBe('error');
    expect(await field(page, 'code')).toBe('WEBAUTHN_USER_UNKNOWN');
    expect(await field(page, 'errorMessage')).toBe('No user has this user name.');
    await page.screenshot({ path: screenshotPath('unknown-user-refused'), fullPage: true });

    expect(await press(page, 'Register', '  ')).toBe('Enter a username first.');
    expect(await page.locator('#username:focus').count()).toBe(1);
  });

  it('runs under its content security policy: no markup or script from strings', async () => {
    const { page } = await openDemo();
    const attempt = (code: string) =>
      page.evaluate(`(() => { try { ${code}; return 'allowed'; } catch (error) { return error.name; } })()`);
    // Trusted Types with no policy: HTML and script sinks refuse strings, so nothing can inject markup or inline script.
    expect(await attempt("document.body.insertAdjacentHTML('beforeend', '<b>injected</b>')")).toBe('TypeError');
    expect(
      await attempt(
        "document.head.append(Object.assign(document.createElement('script'), { text: 'window.inlineRan = true' }))",
      ),
    ).toBe('TypeError');
    expect(await page.getByText('injected').count()).toBe(0);
    expect(await page.evaluate('window.inlineRan === true')).toBe(false);
    // The browser reported both refusals; they were provoked, so they are not the page's problems.
    const { problems } = opened.at(-1)!;
    await expect.poll(() => problems.length).toBe(2);
    expect(problems).toEqual([expect.stringContaining("'TrustedHTML'"), expect.stringContaining("'TrustedScript'")]);
    problems.length = 0;
  });

  it('tells a visitor at an IP address to open the page at localhost', async () => {
    const { page } = await openDemo(undefined, { host: '127.0.0.1' });
    await page.locator('#status[data-outcome="error"]').waitFor();
    expect(await status(page).locator('.headline').textContent()).toBe(
      'WebAuthn needs a domain name, not an IP address.',
    );
    expect(await field(page, 'suggestion')).toBe(`http://localhost:${port}/fido2/demo`);
    expect(await field(page, 'code')).toBe('IP_ADDRESS_ORIGIN');
  });
});
