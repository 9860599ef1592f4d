import type { KernelDef } from './registry.js';

export const controlflowKernels: KernelDef[] = [];
