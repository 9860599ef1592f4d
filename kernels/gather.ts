import type { KernelDef } from './registry.js';

export const gatherKernels: KernelDef[] = [];
