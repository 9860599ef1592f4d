import { NeuropodError } from '../../api/errors.js';
import type { KernelTable, ShapeInfo } from '../../../kernels/registry.js';
import { Tensor } from '../../tensor/tensor.js';
import type { Model, ValueInfo } from '../ir.js';
import type { Value } from '../value.js';
import { foldConstants } from './fold-constants.js';
import { inferShapes } from './infer-shapes.js';
import { removeDeadNodes } from './remove-dead-nodes.js';

/** A model readied for any backend: constants folded, dead nodes gone, every value's inferred shape. */
export interface PlannedModel {
  model: Model;
  /** Inferred dtype and dims by value name (symbols kept), for the planned graph's values. */
  shapes: Map<string, ShapeInfo>;
  /** Graph inputs whose declared sizes folded constants rest on (empty when none did): feeds must match them. */
  assumedInputs: ValueInfo[];
}

export interface PlanOptions {
  /** Values a run may ask for besides the graph outputs (a variable's next value). */
  keep?: readonly string[];
  kernels?: KernelTable;
}

/**
 * What every backend's `prepare` runs first: dead nodes out (less to fold), shape inference with constant
 * evaluation, folding, then dead nodes out again (the initializers only folded nodes read).
 */
export function planGraph(model: Model, options: PlanOptions = {}): PlannedModel {
  const live = removeDeadNodes(model, options.keep);
  const inference = inferShapes(live, { kernels: options.kernels });
  const planned = removeDeadNodes(foldConstants(live, inference), options.keep);
  const assumedInputs = inference.assumesInputDims ? planned.graph.inputs.filter((i) => i.type?.shape?.some((d) => typeof d === 'number')) : [];
  return { model: planned, shapes: inference.infos, assumedInputs };
}

/** Rejects a feed whose sizes differ from the declared ones the plan folded shapes from (it would compute with stale shapes). */
export function checkAssumedInputs(planned: PlannedModel, feeds: ReadonlyMap<string, Value>): void {
  for (const input of planned.assumedInputs) {
    const fed = feeds.get(input.name), declared = input.type!.shape!;
    if (!(fed instanceof Tensor)) continue;
    const fits = fed.rank === declared.length && declared.every((d, i) => typeof d !== 'number' || d === fed.shape[i]);
    if (!fits) {
      const code = fed.rank === declared.length ? 'SPEC_DIM' : 'SPEC_RANK';
      const shown = declared.map((d) => (d === null ? '?' : String(d)));
      throw new NeuropodError(code, `input '${input.name}' has shape [${fed.shape.join(', ')}], but the model declares [${shown.join(', ')}] and was planned on those sizes`);
    }
  }
}
