import type { KernelDef } from './registry.js';

export const reduceKernels: KernelDef[] = [];
