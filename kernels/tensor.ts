import type { KernelDef } from './registry.js';

export const tensorKernels: KernelDef[] = [];
