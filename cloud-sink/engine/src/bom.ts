import { PcfError } from '@pcf-edge/core';

/**
 * First cycle reachable from `starts` in the product graph given by `children`, as a path that starts and ends at
 * the same product (e.g. [a, b, c, a]); undefined when acyclic.
 */
export function findBomCycle(children: (product: string) => string[], starts: string[]): string[] | undefined {
  const state = new Map<string, 'open' | 'done'>();
  const path: string[] = [];
  const visit = (p: string): string[] | undefined => {
    if (state.get(p) === 'done') return undefined;
    if (state.get(p) === 'open') return [...path.slice(path.indexOf(p)), p];
    state.set(p, 'open');
    path.push(p);
    for (const c of children(p)) {
      const cycle = visit(c);
      if (cycle) return cycle;
    }
    path.pop();
    state.set(p, 'done');
    return undefined;
  };
  for (const s of starts) {
    const cycle = visit(s);
    if (cycle) return cycle;
  }
  return undefined;
}

export function bomCycleError(cycle: string[]): PcfError {
  return new PcfError('ERR_BOM_CYCLE', `bill of materials cycle: ${cycle.join(' → ')}`, { cycle });
}

/** Every product reachable from `product` through product components (including itself); throws on a cycle. */
export function productClosure(children: (product: string) => string[], product: string): string[] {
  const cycle = findBomCycle(children, [product]);
  if (cycle) throw bomCycleError(cycle);
  const seen = new Set<string>();
  const stack = [product];
  while (stack.length > 0) {
    const p = stack.pop()!;
    if (seen.has(p)) continue;
    seen.add(p);
    stack.push(...children(p));
  }
  return [...seen];
}
