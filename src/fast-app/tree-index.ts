import { Chart } from 'cdk8s';
import { IConstruct } from 'constructs';

/**
 * Caches what cdk8s recomputes on every call while it synthesizes: a construct's path
 * (`node.path` walks every scope up to the root) and its closest chart (`Chart.of` does too).
 *
 * Both are fixed once a construct exists (ids are immutable and constructs cannot move), so
 * one index serves a whole synthesis.
 */
export class TreeIndex {
  private readonly paths = new Map<IConstruct, string>();
  private readonly closestCharts = new Map<IConstruct, Chart | undefined>();

  /**
   * Every construct under `root`, `root` first, in exactly the order of `root.node.findAll()`
   * (preorder over `node.children`), filling the path and chart caches on the way. Iterative,
   * so deep trees cannot overflow the stack.
   */
  public walk(root: IConstruct): IConstruct[] {
    const out: IConstruct[] = [];
    this.pathOf(root);
    this.closestChart(root);
    const stack: IConstruct[] = [root];
    while (stack.length > 0) {
      const c = stack.pop()!;
      out.push(c);
      const kids = c.node.children;
      if (kids.length === 0) {
        continue;
      }
      const path = this.paths.get(c)!;
      const chart = this.closestCharts.get(c);
      for (let i = kids.length - 1; i >= 0; i--) {
        const kid = kids[i];
        if (!this.paths.has(kid)) {
          this.paths.set(kid, path === '' ? kid.node.id : `${path}/${kid.node.id}`);
          this.closestCharts.set(kid, Chart.isChart(kid) ? kid : chart);
        }
        stack.push(kid);
      }
    }
    return out;
  }

  /** `c.node.path`, cached. */
  public pathOf(c: IConstruct): string {
    let path = this.paths.get(c);
    if (path === undefined) {
      path = c.node.path;
      this.paths.set(c, path);
    }
    return path;
  }

  /**
   * `Chart.of(c)`, cached. For a construct outside every chart this calls `Chart.of` itself so
   * the caller gets cdk8s's own error.
   */
  public chartOf(c: IConstruct): Chart {
    return this.closestChart(c) ?? Chart.of(c);
  }

  private closestChart(c: IConstruct): Chart | undefined {
    if (this.closestCharts.has(c)) {
      return this.closestCharts.get(c);
    }
    let chart: Chart | undefined;
    for (let s: IConstruct | undefined = c; s; s = s.node.scope) {
      if (Chart.isChart(s)) {
        chart = s;
        break;
      }
    }
    this.closestCharts.set(c, chart);
    return chart;
  }
}
