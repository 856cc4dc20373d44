import { decide, type PdpDecision, type PdpVerdict } from '../pdp/decide.js';
import type { VerifiedBundle } from './bundle.js';

/**
 * Shadow evaluation: the active bundle decides; a simulation bundle (a candidate the operator
 * wants to try on live traffic) decides the same input alongside, and only whether the two
 * verdicts differ is reported. The simulation never changes the answer: the active decision is
 * computed first and returned as is, and whatever the simulation does — a different verdict, an
 * exception — only shows in `simulation` and `divergent`.
 */

export interface SimulationOutcome {
  version: number;
  kid: string;
  /** The simulation's decision; absent when evaluating it threw. */
  decision?: PdpDecision;
  /** Why the simulation could not be evaluated (counts as divergent). */
  error?: string;
}

export interface ShadowDecision {
  /** The active bundle's decision: the one to enforce. */
  decision: PdpDecision;
  /** Whether the simulation's verdict differs from the active one (false without a simulation bundle). */
  divergent: boolean;
  simulation?: SimulationOutcome;
}

/** A verdict reduced to what the comparison looks at: the three allows and each part's violation codes, in order of code. */
function fingerprint(verdict: PdpVerdict): string {
  const codes = (violations: { errorCode: string }[]) => violations.map((violation) => violation.errorCode).sort();
  return JSON.stringify([
    verdict.allow,
    verdict.device.allow,
    codes(verdict.device.violations),
    verdict.security.allow,
    codes(verdict.security.violations),
  ]);
}

/** Whether two verdicts differ in an allow or in the violation codes reported (descriptions are not compared). */
export const verdictsDiffer = (a: PdpVerdict, b: PdpVerdict): boolean => fingerprint(a) !== fingerprint(b);

/** Decides `input` with the active bundle and, when given, shadows it with the simulation bundle. */
export function decideWithShadow(
  active: VerifiedBundle,
  simulation: VerifiedBundle | undefined,
  input: unknown,
): ShadowDecision {
  const decision = decide(active.policies, active.data, input);
  if (!simulation) return { decision, divergent: false };
  const outcome: SimulationOutcome = { version: simulation.version, kid: simulation.kid };
  try {
    outcome.decision = decide(simulation.policies, simulation.data, input);
    return { decision, divergent: verdictsDiffer(decision.verdict, outcome.decision.verdict), simulation: outcome };
  } catch (error) {
    outcome.error = error instanceof Error ? error.message : String(error);
    return { decision, divergent: true, simulation: outcome };
  }
}
