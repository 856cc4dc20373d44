import { type ErrorCategory, isKeywardError } from '../errors.js';
import type { DecisionInput, DecisionRecorder } from './decision-log.js';

/** What a route knows of a decision before it is made; `run` may fill in facts as it learns them. */
export interface DecisionDraft {
  capability: string;
  operation: string;
  /** '' until known. */
  platform: string;
  requestId: string;
  subject?: string;
  summary?: Record<string, unknown>;
}

/** The facts of an accepted decision, drawn from the verification's result. */
export type DecisionFacts = Partial<Pick<DecisionInput, 'platform' | 'subject' | 'summary'>>;

/** A refusal's category and code: the KeywardError's own, INTERNAL for anything unexpected. */
export function rejection(error: unknown): { category: ErrorCategory; code: string } {
  return isKeywardError(error)
    ? { category: error.category, code: error.code }
    : { category: 'INTERNAL', code: 'INTERNAL_ERROR' };
}

/** Records one decision; a failure to record never reaches the request. */
export function recordDecision(recorder: DecisionRecorder, event: DecisionInput): void {
  try {
    recorder.record(event);
  } catch {
    // The decision stands whether or not it is logged.
  }
}

/**
 * Runs one verification and records its decision: accepted with the draft and the facts
 * `accepted` draws from the result, or rejected with the error's category and code (then rethrown).
 */
export async function recorded<T>(
  recorder: DecisionRecorder,
  draft: DecisionDraft,
  run: () => Promise<T>,
  accepted: (result: T) => DecisionFacts,
): Promise<T> {
  let result: T;
  try {
    result = await run();
  } catch (error) {
    recordDecision(recorder, { ...eventOf(draft), outcome: 'rejected', ...rejection(error) });
    throw error;
  }
  try {
    const facts = accepted(result);
    recordDecision(recorder, {
      ...eventOf(draft),
      ...facts,
      summary: { ...draft.summary, ...facts.summary },
      outcome: 'accepted',
    });
  } catch {
    // A fact that cannot be drawn must not undo an accepted decision.
  }
  return result;
}

function eventOf(draft: DecisionDraft): Omit<DecisionInput, 'outcome'> {
  return {
    capability: draft.capability,
    operation: draft.operation,
    platform: draft.platform,
    requestId: draft.requestId,
    summary: draft.summary ?? {},
    ...(draft.subject === undefined ? {} : { subject: draft.subject }),
  };
}
