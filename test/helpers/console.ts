import { OperatorAccounts } from '../../src/features/console/operator-accounts.js';
import type { OperatorRole } from '../../src/store/console-store.js';
import type { TestServer } from './server.js';

export const TEST_PASSWORD = 'correct horse battery';

/** Adds an operator straight through the accounts (as `keyward operators add` does). */
export async function addOperator(server: TestServer, name: string, role: OperatorRole, password = TEST_PASSWORD) {
  const { store, clock } = server.services;
  await new OperatorAccounts(store.operators, store.consoleSessions, store.auditEvents, clock).add(
    name,
    role,
    password,
    {
      actor: 'cli:test',
      actorKind: 'cli',
      address: 'local',
    },
  );
}

/** A console client over fetch: keeps the session cookie, reads forms' CSRF tokens, sends same-origin headers like a browser. */
export class ConsoleClient {
  cookie = '';
  constructor(readonly server: TestServer) {}

  async signIn(name: string, password = TEST_PASSWORD) {
    const response = await this.post('/console/login', { username: name, password, next: '/console' });
    return response;
  }

  async get(path: string) {
    const response = await fetch(`${this.server.url}${path}`, {
      headers: { cookie: this.cookie, accept: 'text/html' },
      redirect: 'manual',
    });
    return { status: response.status, headers: response.headers, text: await response.text() };
  }

  /** The CSRF token of the page at `path`. */
  async csrf(path = '/console') {
    const { text } = await this.get(path);
    const token = /name="_csrf" value="([^"]+)"/.exec(text)?.[1];
    if (!token) throw new Error(`no CSRF token on ${path}`);
    return token;
  }

  async post(path: string, fields: Record<string, string>, headers: Record<string, string> = {}) {
    const response = await fetch(`${this.server.url}${path}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        origin: this.server.url,
        'sec-fetch-site': 'same-origin',
        cookie: this.cookie,
        ...headers,
      },
      body: new URLSearchParams(fields).toString(),
      redirect: 'manual',
    });
    const setCookie = response.headers.get('set-cookie');
    if (setCookie) this.cookie = setCookie.split(';')[0]!;
    return { status: response.status, headers: response.headers, text: await response.text() };
  }
}
