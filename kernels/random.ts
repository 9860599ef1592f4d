import type { KernelDef } from './registry.js';

export const randomKernels: KernelDef[] = [];
