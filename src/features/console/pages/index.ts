import type { ConsolePage } from '../page.js';
import { auditPage } from './audit.js';
import { authenticatorsPage } from './authenticators.js';
import { certificatesPage } from './certificates.js';
import { dsrPage } from './dsr.js';
import { eventsPage } from './events.js';
import { operatorsPage } from './operators.js';
import { overviewPage } from './overview.js';
import { provisioningPage } from './provisioning.js';
import { walletsPage } from './wallets.js';

/**
 * The console's pages in navigation order. A capability adds its page here (one file under
 * pages/, one line below); pages of disabled capabilities are left out at start.
 */
export const CONSOLE_PAGES: readonly ConsolePage[] = [
  overviewPage,
  eventsPage,
  certificatesPage,
  walletsPage,
  authenticatorsPage,
  dsrPage,
  provisioningPage,
  operatorsPage,
  auditPage,
];
