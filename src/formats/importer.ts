import type { PackageFiles } from '../archive/package-files.js';
import type { Model } from '../graph/ir.js';
import type { NeuropodConfig } from '../spec/types.js';
import type { Tensor } from '../tensor/tensor.js';

/**
 * A variable that keeps its value across infer() calls (TensorFlow variables after init_op_names): the runtime
 * feeds `input` with the current value and, after each run, takes the new value from `output`.
 */
export interface StateBinding {
  input: string;
  output: string;
  initial: Tensor;
}

/** What an importer hands the runtime: one IR model whose graph inputs and outputs carry the spec's names. */
export interface ImportedModel {
  model: Model;
  state?: StateBinding[];
}

export type Importer = (files: PackageFiles, config: NeuropodConfig) => Promise<ImportedModel>;
