/**
 * The run plan the summary reads: one `index name kind role` line per step, in run order (kind:
 * `wrapped` or `raw`; role: `main` or `finally`).
 */
import { PlannedStep } from './resolve-props';

export function renderRunPlan(steps: readonly PlannedStep[]): string {
  return steps.map(({ step, index }) => `${index} ${step.name} ${step.raw ? 'raw' : 'wrapped'} ${step.finally ? 'finally' : 'main'}\n`).join('');
}
