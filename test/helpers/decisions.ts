import type { DecisionEvent, DecisionEventFilter } from '../../src/store/console-store.js';
import type { RunningServer } from '../../src/http/server.js';

type WithServices = Pick<RunningServer, 'services'>;

/** The decision-log rows matching `filter`, newest first (the buffered log written first). */
export async function decisionsAbout(server: WithServices, filter: DecisionEventFilter): Promise<DecisionEvent[]> {
  await server.services.decisions.flush();
  return server.services.store.decisionEvents.list(filter, { limit: 1000 });
}

/** The decision-log rows one request produced. */
export async function decisionsOf(server: WithServices, requestId: string): Promise<DecisionEvent[]> {
  return (await decisionsAbout(server, {})).filter((event) => event.requestId === requestId);
}

/** operation, outcome and code of each row: a compact expectation. */
export const outcomes = (events: DecisionEvent[]) =>
  events.map((event) => [event.operation, event.outcome, event.code ?? ''] as const);
