/**
 * The run plan the wrapper and the summary read: one `index name kind` line per step, in run order.
 */
import { PlannedStep } from './resolve-props';

export function renderRunPlan(steps: readonly PlannedStep[]): string {
  return steps.map(({ step, index }) => `${index} ${step.name} ${step.raw ? 'raw' : 'wrapped'}\n`).join('');
}
