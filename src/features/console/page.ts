import type { Services } from '../../services.js';
import type { OperatorRole } from '../../store/console-store.js';
import type { SignedIn } from './console-auth.js';
import type { Html } from './html.js';
import type { AuditActor, OperatorAccounts } from './operator-accounts.js';

/** What a page handler renders: its title (also the h1) and body. */
export interface PageView {
  title: string;
  body: Html;
}

export interface PageContext {
  services: Services;
  signedIn: SignedIn;
  /** The query string's parameters (first value of each). */
  query: Record<string, string | undefined>;
  params: Record<string, string>;
  /** The session's CSRF token, for postForm. */
  csrf: string;
  /** Whether the signed-in operator has at least `role`. */
  can(role: OperatorRole): boolean;
  pageSize: number;
  /** Operator accounts (the Operators page). */
  operators: OperatorAccounts;
}

export interface ActionContext extends PageContext {
  /** The form's fields (first value of each), without the CSRF token. */
  form: Record<string, string | undefined>;
  /** The signed-in operator as the audit trail names them. */
  actor: AuditActor;
  /** Appends to the audit trail as the signed-in operator, from the request's address. */
  audit(action: string, target: string | undefined, detail?: Record<string, unknown>): Promise<void>;
}

export interface ConsoleRouter {
  /** A GET page under the console; only operators with the page's role see it. */
  page(path: string, render: (context: PageContext) => Promise<PageView>): void;
  /**
   * A form POST: CSRF-checked, limited to `role`, audited by the handler; answers with a redirect
   * (303) to the returned location. A KeywardError is shown as an error page with its status.
   */
  action(path: string, role: OperatorRole, run: (context: ActionContext) => Promise<string>): void;
}

/**
 * One page of the console and its navigation link. A capability adds its page by writing one of
 * these (pages/<capability>.ts) and listing it in pages/index.ts.
 */
export interface ConsolePage {
  /** The navigation link's name. */
  nav: string;
  /** Its URL path. */
  path: string;
  /** The least role that sees the page (and its link). */
  role: OperatorRole;
  /** Whether the capability behind it runs on this server. */
  enabled(services: Services): boolean;
  routes(router: ConsoleRouter): void;
}
