/**
 * The erf Gelu written out in primitive ops (torch's nn.GELU before opset 20, and BERT-style exports):
 *
 *   y = x · (Erf(x / √2) + 1) · 0.5      (x / √2 may be x · (1/√2); each Add and Mul in either operand order)
 *
 * becomes one com.microsoft Gelu(x) node, for backends with a Gelu kernel (the wasm backend then makes one pass
 * over the tensor instead of five). Conditions, so the fused node computes what the nodes did: the constants are
 * float32 scalars equal to √2 (or 1/√2), 1 and 0.5 within 1e-6; the final Mul by 0.5 may come first, on x
 * (0.5 · x, then · (Erf + 1)); every intermediate value has one reader and is not a graph output; x is the same
 * value at both ends.
 */
import type { Model, Node } from '../ir.js';
import { otherOperand as other, readersOf, scalarOf, withFusedNodes } from './pattern-match.js';

const near = (v: number | undefined, want: number) => v !== undefined && Math.abs(v - want) <= 1e-6 * Math.abs(want);

/** The model with each decomposed erf Gelu fused into com.microsoft Gelu; the input model is not changed. */
export function fuseGelus(model: Model): Model {
  const src = model.graph;
  const { only } = readersOf(src);
  const removed = new Set<Node>(), replaced = new Map<Node, Node>();
  for (const erf of src.nodes) {
    if (erf.opType !== 'Erf' || erf.domain !== '') continue;
    // x / √2 (or x · 1/√2) feeding the Erf.
    const scale = src.nodes.find((n) => n.outputs[0] === erf.inputs[0] && n.domain === '');
    if (!scale || only(scale.outputs[0]!, 'Erf') !== erf) continue;
    let x: string | undefined;
    if (scale.opType === 'Div' && near(scalarOf(src, scale.inputs[1]), Math.SQRT2)) x = scale.inputs[0];
    else if (scale.opType === 'Mul') {
      const c = [0, 1].find((i) => near(scalarOf(src, scale.inputs[i]), Math.SQRT1_2));
      if (c !== undefined) x = scale.inputs[1 - c];
    }
    if (!x) continue;
    const plus = only(erf.outputs[0]!, 'Add');
    if (!plus || !near(scalarOf(src, other(plus, erf.outputs[0]!)), 1)) continue;
    const times = only(plus.outputs[0]!, 'Mul'), by = times && other(times, plus.outputs[0]!);
    if (!times || !by) continue;
    let end: Node | undefined, half: Node | undefined;
    if (by === x) {
      // x · (Erf + 1), then · 0.5.
      half = only(times.outputs[0]!, 'Mul');
      if (half && near(scalarOf(src, other(half, times.outputs[0]!)), 0.5)) end = half;
    } else {
      // (0.5 · x) · (Erf + 1).
      half = src.nodes.find((n) => n.outputs[0] === by && n.opType === 'Mul' && n.domain === '');
      if (half && only(by, 'Mul') === times && other(half, x) !== undefined && near(scalarOf(src, other(half, x)), 0.5)) end = times;
    }
    if (!end || !half) continue;
    const fused: Node = { name: `${erf.name}/Gelu`, opType: 'Gelu', domain: 'com.microsoft', inputs: [x], outputs: [end.outputs[0]!], attributes: new Map() };
    const all = [scale, erf, plus, times, half];
    if (all.some((n) => removed.has(n) || replaced.has(n))) continue;
    for (const n of all) if (n !== end) removed.add(n);
    replaced.set(end, fused);
  }
  if (replaced.size === 0) return model;
  // The fused node runs where the last of its nodes ran: x and every constant exist by then.
  const graph = withFusedNodes(src, removed, replaced);
  const opsets = new Map(model.opsets);
  if (!opsets.has('com.microsoft')) opsets.set('com.microsoft', 1);
  return { ...model, opsets, graph };
}
