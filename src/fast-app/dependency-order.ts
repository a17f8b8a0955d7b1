import { DependencyGraph } from 'cdk8s';
import { IConstruct } from 'constructs';
import { TreeIndex } from './tree-index';

/** One construct in the graph: its dependencies in first-insertion order, like cdk8s's vertex. */
class Vertex {
  public readonly children: Vertex[] = [];
  public inbound = 0;
  /** 0 = not visited, 1 = on the DFS stack, 2 = done. */
  public state = 0;
  private childSet: Set<Vertex> | undefined;

  constructor(public readonly value: IConstruct) {}

  public addChild(dep: Vertex): void {
    if (this.childSet === undefined) {
      this.childSet = new Set();
    } else if (this.childSet.has(dep)) {
      return;
    }
    this.childSet.add(dep);
    this.children.push(dep);
    dep.inbound++;
  }
}

/**
 * The constructs under `root` in the order `new DependencyGraph(root.node).topology()` returns
 * them, in time linear in constructs + dependency edges.
 *
 * cdk8s's `DependencyGraph` builds the same graph: a vertex per construct of `root.node.findAll()`
 * keyed by path in a plain object, an edge per `node.dependencies` entry whose target is in that
 * subtree (a Set per vertex, so the first insertion fixes the order), and a foster root adopting
 * every vertex without inbound edges in the plain object's key order (integer-like paths such as
 * a top-level chart named `"1"` come first, ascending). `topology()` is then a depth-first
 * post-order from the foster root. cdk8s re-walks already-emitted vertices (exponential on DAGs
 * with many paths) and checks every edge for a cycle with a search that has no visited set; on
 * a DAG, a DFS with a visited set emits the same order in linear time.
 *
 * When the graph has a cycle (or anything else this fast path cannot prove acyclic), the work
 * is handed to cdk8s's own `DependencyGraph`, so the caller gets the very error (and message)
 * stock cdk8s throws.
 */
export function dependencyOrder(root: IConstruct, index: TreeIndex): IConstruct[] {
  const constructs = index.walk(root);
  const byPath = new Map<string, Vertex>();
  // A plain object, exactly like cdk8s: its key order (integer-like keys first) decides the
  // order in which the foster root adopts the roots.
  const ordered: Record<string, Vertex> = {};
  for (const c of constructs) {
    const v = new Vertex(c);
    const path = index.pathOf(c);
    byPath.set(path, v);
    ordered[path] = v;
  }

  for (const c of constructs) {
    const deps = c.node.dependencies;
    if (deps.length === 0) {
      continue;
    }
    const source = byPath.get(index.pathOf(c))!;
    for (const dep of deps) {
      // dependencies that leave the subtree are not part of the graph (cdk8s does the same)
      const target = byPath.get(index.pathOf(dep));
      if (target !== undefined) {
        source.addChild(target);
      }
    }
  }

  const order: IConstruct[] = [];
  const stack: Vertex[] = [];
  const next: number[] = [];
  for (const rootVertex of Object.values(ordered)) {
    if (rootVertex.inbound !== 0 || rootVertex.state !== 0) {
      continue;
    }
    rootVertex.state = 1;
    stack.push(rootVertex);
    next.push(0);
    while (stack.length > 0) {
      const top = stack.length - 1;
      const v = stack[top];
      const i = next[top];
      if (i < v.children.length) {
        next[top] = i + 1;
        const child = v.children[i];
        if (child.state === 0) {
          child.state = 1;
          stack.push(child);
          next.push(0);
        } else if (child.state === 1) {
          return stockTopology(root);
        }
      } else {
        v.state = 2;
        order.push(v.value);
        stack.pop();
        next.pop();
      }
    }
  }
  // In a DAG every vertex is reachable from one without inbound edges: anything left over sits
  // on a cycle.
  if (order.length !== byPath.size) {
    return stockTopology(root);
  }
  return order;
}

/** cdk8s's own algorithm: throws its cycle error, or returns its order. */
function stockTopology(root: IConstruct): IConstruct[] {
  return new DependencyGraph(root.node).topology();
}
