import type { KernelDef } from './registry.js';

export const poolKernels: KernelDef[] = [];
