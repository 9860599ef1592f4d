import type { KernelDef } from './registry.js';

export const stringKernels: KernelDef[] = [];
