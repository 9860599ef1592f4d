import type { KernelDef } from './registry.js';

export const elementwiseKernels: KernelDef[] = [];
