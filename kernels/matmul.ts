import type { KernelDef } from './registry.js';

export const matmulKernels: KernelDef[] = [];
