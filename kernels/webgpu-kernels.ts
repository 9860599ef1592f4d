import { GpuKernelTable } from '../src/backends/webgpu/gpu-kernel.js';
import { convTransposeWebGpuKernels } from './conv-transpose-webgpu.js';
import { convWebGpuKernels } from './conv-webgpu.js';
import { elementwiseWebGpuKernels } from './elementwise-webgpu.js';
import { matmulWebGpuKernels } from './matmul-webgpu.js';
import { normalizationWebGpuKernels } from './normalization-webgpu.js';
import { poolWebGpuKernels } from './pool-webgpu.js';
import { reduceWebGpuKernels } from './reduce-webgpu.js';
import { resizeWebGpuKernels } from './resize-webgpu.js';
import { rnnWebGpuKernels } from './rnn-webgpu.js';
import { tensorWebGpuKernels } from './tensor-webgpu.js';

/** Every WebGPU kernel, one family a file (`<family>-webgpu.ts`); ops not here run on the reference. */
export const webgpuKernels = new GpuKernelTable([
  convTransposeWebGpuKernels, convWebGpuKernels, elementwiseWebGpuKernels, matmulWebGpuKernels, normalizationWebGpuKernels, poolWebGpuKernels, reduceWebGpuKernels, resizeWebGpuKernels, rnnWebGpuKernels, tensorWebGpuKernels,
]);
