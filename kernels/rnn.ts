import type { KernelDef } from './registry.js';

export const rnnKernels: KernelDef[] = [];
