import type { DType } from '../tensor/dtype.js';

/** One dim of a Neuropod spec: null (any size), a positive integer (exact), or a symbol shared by name. */
export type SpecDim = number | string | null;

export interface TensorSpec {
  name: string;
  dtype: DType;
  shape: SpecDim[];
}

export type Platform = 'tensorflow' | 'torchscript' | 'python' | 'onnx' | 'tfjs';

/** config.json as Neuropod reads it (NEUROPOD-FORMAT.md section 3). */
export interface NeuropodConfig {
  name: string;
  platform: string;
  platformVersionSemver: string;
  inputSpec: TensorSpec[];
  outputSpec: TensorSpec[];
  customOps: string[];
  /** Every input's device; absent ones are 'GPU'. */
  inputTensorDevice: Record<string, 'GPU' | 'CPU'>;
}
