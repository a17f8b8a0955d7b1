import { IConstruct } from 'constructs';

const NON_FINITE = '\u0001';
const NON_FINITE_QUOTED = /"\\u0001(NaN|-?Infinity)\\u0001"/g;

/**
 * Formats a rejected value for an error message: strings are quoted, everything
 * else is rendered as compact JSON so `undefined`, numbers and objects stay readable; `NaN` and
 * infinities are shown as `NaN`, `Infinity`, `-Infinity`, also inside objects and lists.
 */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') {
    return JSON.stringify(value);
  }
  if (value === undefined) {
    return 'undefined';
  }
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) {
    return String(value);
  }
  try {
    // NaN and infinities inside objects and lists are shown as such, not as JSON's null
    const json = JSON.stringify(value, (_key, v) => (typeof v === 'number' && !Number.isFinite(v) ? `${NON_FINITE}${v}${NON_FINITE}` : v)).replace(
      NON_FINITE_QUOTED,
      '$1',
    );
    return json.length > 200 ? `${json.slice(0, 197)}...` : json;
  } catch {
    return String(value);
  }
}

/**
 * One rejected prop: `<prop> must be <rule>, got <value>`.
 */
export interface PropProblem {
  readonly prop: string;
  readonly rule: string;
  readonly value: unknown;
}

/** Renders one problem in the shape every construct of this library uses. */
export function formatProblem(problem: PropProblem): string {
  return `${problem.prop} must be ${problem.rule}, got ${describeValue(problem.value)}`;
}

/**
 * Collects every problem with a construct's props so a user sees all of them at once,
 * then throws one error whose message starts with the construct path.
 *
 * ```ts
 * const errors = new PropErrors(this);
 * errors.check(port >= 1 && port <= 65535, 'port', 'an integer from 1 to 65535', port);
 * errors.throwIfAny();
 * ```
 */
export class PropErrors {
  private readonly problems: PropProblem[] = [];

  constructor(private readonly scope: IConstruct) {}

  /** Records a problem when `ok` is false; returns `ok` so callers can skip dependent checks. */
  public check(ok: boolean, prop: string, rule: string, value: unknown): boolean {
    if (!ok) {
      this.add(prop, rule, value);
    }
    return ok;
  }

  /** Records a problem unconditionally. */
  public add(prop: string, rule: string, value: unknown): void {
    this.problems.push({ prop, rule, value });
  }

  /** Whether any problem was recorded. */
  public get hasProblems(): boolean {
    return this.problems.length > 0;
  }

  /** The problems rendered as messages (without the construct path). */
  public messages(): string[] {
    return this.problems.map(formatProblem);
  }

  /** Throws one error listing every recorded problem, prefixed with the construct path. */
  public throwIfAny(): void {
    if (this.problems.length === 0) {
      return;
    }
    throw new Error(formatErrorMessage(this.scope, this.messages()));
  }
}

/** `[path] message` for one problem, or a bulleted list for several. */
export function formatErrorMessage(scope: IConstruct, messages: string[]): string {
  const path = scope.node.path || '<root>';
  if (messages.length === 1) {
    return `[${path}] ${messages[0]}`;
  }
  return `[${path}] ${messages.length} invalid props:\n${messages.map((m) => `  - ${m}`).join('\n')}`;
}

/** Throws a single `<prop> must be <rule>, got <value>` error for `scope`. */
export function throwPropError(scope: IConstruct, prop: string, rule: string, value: unknown): never {
  throw new Error(formatErrorMessage(scope, [formatProblem({ prop, rule, value })]));
}
