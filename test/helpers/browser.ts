import { existsSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { type Browser, type BrowserContext, type CDPSession, type Page, chromium } from 'playwright-core';

/** Debian's chromium package: the tests never download a browser (.ci/run installs it when missing). */
export const CHROMIUM_PATH = '/usr/bin/chromium';

const chromiumInstalled = existsSync(CHROMIUM_PATH);

/**
 * Browser tests are skipped, with a warning, where chromium is not installed, but never in CI
 * (CI=true): there a missing browser fails them, so they cannot silently stop running.
 */
export const skipWithoutChromium = !chromiumInstalled && process.env.CI !== 'true';
if (skipWithoutChromium)
  console.warn(`[keyward tests] ${CHROMIUM_PATH} is missing: browser tests are SKIPPED (apt-get install chromium)`);

/** One headless chromium for a test file. */
export function launchChromium(): Promise<Browser> {
  if (!chromiumInstalled)
    throw new Error(`${CHROMIUM_PATH} is missing: install Debian's chromium package (.ci/run does when it is missing)`);
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
}

/** Where screenshots go: test-output/browser/ at the repository root (ignored by git). */
export function screenshotPath(name: string): string {
  const directory = fileURLToPath(new URL('../../test-output/browser/', import.meta.url));
  mkdirSync(directory, { recursive: true });
  return `${directory}${name}.png`;
}

/** Options of the DevTools protocol's WebAuthn.addVirtualAuthenticator. */
export interface VirtualAuthenticatorOptions {
  protocol: 'ctap2' | 'u2f';
  ctap2Version?: 'ctap2_0' | 'ctap2_1';
  transport: 'usb' | 'nfc' | 'ble' | 'internal' | 'cable' | 'hybrid';
  hasResidentKey: boolean;
  hasUserVerification: boolean;
  isUserVerified?: boolean;
  automaticPresenceSimulation?: boolean;
  hasCredBlob?: boolean;
  defaultBackupEligibility?: boolean;
  defaultBackupState?: boolean;
}

/** A credential the virtual authenticator holds (WebAuthn.getCredentials), with its id in base64url as Keyward shows it. */
export interface VirtualCredential {
  credentialId: string;
  isResidentCredential: boolean;
  rpId: string;
  userHandle?: string;
  signCount: number;
}

/** A Chrome DevTools virtual authenticator attached to one page: WebAuthn calls on the page go to it. */
export class VirtualAuthenticator {
  private constructor(
    private readonly cdp: CDPSession,
    readonly authenticatorId: string,
  ) {}

  static async attach(page: Page, options: VirtualAuthenticatorOptions): Promise<VirtualAuthenticator> {
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('WebAuthn.enable', { enableUI: false });
    const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
      options: { automaticPresenceSimulation: true, ...options },
    });
    return new VirtualAuthenticator(cdp, authenticatorId);
  }

  async credentials(): Promise<VirtualCredential[]> {
    const { credentials } = await this.cdp.send('WebAuthn.getCredentials', { authenticatorId: this.authenticatorId });
    return credentials.map((credential) => ({
      credentialId: Buffer.from(credential.credentialId, 'base64').toString('base64url'),
      isResidentCredential: credential.isResidentCredential,
      rpId: credential.rpId ?? '',
      ...(credential.userHandle
        ? { userHandle: Buffer.from(credential.userHandle, 'base64').toString('base64url') }
        : {}),
      signCount: credential.signCount,
    }));
  }
}

/** A fresh browser context and page, collecting what went wrong on it (uncaught errors, CSP and Trusted Types violations). */
export async function openPage(
  browser: Browser,
  initScript?: string,
): Promise<{ context: BrowserContext; page: Page; problems: string[] }> {
  const context = await browser.newContext({ viewport: { width: 800, height: 900 } });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('console', (message) => {
    // Failed loads are the tests' business (a refused ceremony is an HTTP 400, there is no favicon); anything else is a problem.
    if (message.type() === 'error' && !message.text().startsWith('Failed to load resource'))
      problems.push(`console error: ${message.text()}`);
  });
  if (initScript) await page.addInitScript({ content: initScript });
  return { context, page, problems };
}
