/**
 * Run order of batch steps: a topological order of the `dependsOn` graph that keeps declaration
 * order wherever the dependencies leave a choice.
 */

/** The part of a step the ordering needs. */
export interface OrderableStep {
  readonly name: string;
  readonly dependsOn?: readonly string[];
}

/** Why the steps cannot be ordered. */
export interface OrderProblem {
  /** The prop path of the offending step, e.g. `steps[3].dependsOn`. */
  readonly prop: string;
  readonly rule: string;
  readonly value: unknown;
}

/** Either the run order (indexes into the input) or the problems that prevent one. */
export interface OrderResult {
  readonly order: number[];
  readonly problems: OrderProblem[];
}

/**
 * Kahn's algorithm, always taking the ready step that was declared first: with no
 * `dependsOn` the run order is the declaration order, and a dependency only moves the steps it must.
 * Unknown names, self-dependencies and cycles are reported with the steps involved.
 */
export function orderSteps(steps: readonly OrderableStep[]): OrderResult {
  const problems: OrderProblem[] = [];
  const indexByName = new Map<string, number>();
  steps.forEach((s, i) => {
    if (!indexByName.has(s.name)) {
      indexByName.set(s.name, i);
    }
  });

  const deps: number[][] = steps.map(() => []);
  steps.forEach((s, i) => {
    for (const dep of s.dependsOn ?? []) {
      const target = indexByName.get(dep);
      if (target === undefined) {
        problems.push({
          prop: `steps[${i}].dependsOn`,
          rule: `names of steps of this batch (step ${JSON.stringify(s.name)} depends on an unknown step; known: ${[...indexByName.keys()].join(', ')})`,
          value: dep,
        });
      } else if (target === i) {
        problems.push({ prop: `steps[${i}].dependsOn`, rule: `free of the step's own name (step ${JSON.stringify(s.name)})`, value: dep });
      } else if (!deps[i].includes(target)) {
        deps[i].push(target);
      }
    }
  });
  if (problems.length > 0) {
    return { order: [], problems };
  }

  const remaining = steps.map((_, i) => deps[i].length);
  const dependents: number[][] = steps.map(() => []);
  deps.forEach((ds, i) => ds.forEach((d) => dependents[d].push(i)));
  const done = new Array<boolean>(steps.length).fill(false);
  const order: number[] = [];
  while (order.length < steps.length) {
    let next = -1;
    for (let i = 0; i < steps.length; i++) {
      if (!done[i] && remaining[i] === 0) {
        next = i;
        break;
      }
    }
    if (next < 0) {
      const cycle = findCycle(deps, done);
      problems.push({
        prop: 'steps',
        rule: 'free of dependency cycles',
        value: cycle.map((i) => steps[i].name).join(' -> '),
      });
      return { order: [], problems };
    }
    done[next] = true;
    order.push(next);
    for (const d of dependents[next]) {
      remaining[d]--;
    }
  }
  return { order, problems };
}

/** One cycle among the steps not yet ordered, as a closed walk `a -> b -> a`. */
function findCycle(deps: number[][], done: boolean[]): number[] {
  const color = new Array<number>(deps.length).fill(0);
  const stack: number[] = [];
  let found: number[] = [];
  const visit = (n: number): boolean => {
    color[n] = 1;
    stack.push(n);
    for (const d of deps[n]) {
      if (done[d]) {
        continue;
      }
      if (color[d] === 1) {
        found = [...stack.slice(stack.indexOf(d)), d];
        return true;
      }
      if (color[d] === 0 && visit(d)) {
        return true;
      }
    }
    stack.pop();
    color[n] = 2;
    return false;
  };
  for (let i = 0; i < deps.length; i++) {
    if (!done[i] && color[i] === 0 && visit(i)) {
      // the walk follows "depends on" edges; print it in run direction
      return found.reverse();
    }
  }
  return found;
}
