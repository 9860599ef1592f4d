import type { KernelDef } from './registry.js';

export const lossKernels: KernelDef[] = [];
