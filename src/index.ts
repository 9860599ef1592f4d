/** neuropod-web: open Neuropod packages (and bare ONNX / TF.js models) and run them in the browser and Node. */
export { load, type InferInputs, type Model } from './api/model.js';
export type { InputTensor } from './api/infer-inputs.js';
export { GpuBufferTensor, gpuTensor, isGpuBufferTensor, type GpuTensorInit } from './backends/webgpu/gpu-buffer-tensor.js';
export { BACKENDS, type BackendChoice, type BackendName, type InferOptions, type LoadOptions } from './api/options.js';
export { ERROR_CODES, isNeuropodError, NeuropodError, type ErrorCode } from './api/errors.js';
export type { PackageSource } from './archive/open-package.js';
export { clearPackageCache, PACKAGE_CACHE_NAME } from './archive/package-cache.js';
export { tensor, Tensor, type Shape } from './tensor/tensor.js';
export { DTYPES, NEUROPOD_DTYPES, type DType, type TensorData } from './tensor/dtype.js';
export type { NeuropodConfig, Platform, SpecDim, TensorSpec } from './spec/types.js';
export type { OpTiming } from './runtime/executor.js';
export type { ConvertedFiles, ConvertTarget } from './api/convert.js';

/**
 * The GPUDevice webgpu models in this thread run on (opened on first use; a new one after a device loss): make
 * input buffers for gpuTensor() on it. BACKEND_UNAVAILABLE where WebGPU cannot start.
 */
export async function gpuDevice(): Promise<GPUDevice> {
  const { GpuContext } = await import('./backends/webgpu/gpu-context.js');
  return (await GpuContext.shared()).device;
}

/** A package or bare model as standard model files: ONNX, or a TF.js graph model of a TensorFlow package (docs/convert.md). Loaded on first use. */
export async function convert(source: import('./archive/open-package.js').PackageSource, to: import('./api/convert.js').ConvertTarget): Promise<import('./api/convert.js').ConvertedFiles> {
  return (await import('./api/convert.js')).convert(source, to);
}
