import type { KernelDef } from './registry.js';

export const generatorKernels: KernelDef[] = [];
