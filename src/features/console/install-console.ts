import type { FastifyInstance } from 'fastify';
import type { Services } from '../../services.js';
import { ConsoleAuth } from './console-auth.js';
import { consoleRoutes } from './console-routes.js';
import { OperatorAccounts } from './operator-accounts.js';
import { CONSOLE_PAGES } from './pages/index.js';

const PURGE_INTERVAL_MS = 60_000;

/** The operator console (console.enabled): its routes, and a minutely purge of ended sessions and stale failure counters. */
export async function installConsole(app: FastifyInstance, services: Services): Promise<void> {
  const { config, store, clock, logger } = services;
  const operators = new OperatorAccounts(store.operators, store.consoleSessions, store.auditEvents, clock);
  const auth = new ConsoleAuth({
    accounts: operators,
    operators: store.operators,
    sessions: store.consoleSessions,
    throttles: store.loginThrottles,
    audit: store.auditEvents,
    clock,
    settings: {
      idleMs: config.console.sessionIdleMinutes * 60_000,
      maxMs: config.console.sessionMaxHours * 3_600_000,
      maxFailures: config.console.login.maxFailures,
      lockoutMs: config.console.login.lockoutSeconds * 1000,
    },
  });
  const timer = setInterval(() => {
    auth.purge().catch((error) => logger.warn({ err: error }, 'purging console sessions failed'));
  }, PURGE_INTERVAL_MS);
  timer.unref();
  app.addHook('onClose', async () => clearInterval(timer));
  await app.register(consoleRoutes, { services, auth, operators, pages: CONSOLE_PAGES });
}
