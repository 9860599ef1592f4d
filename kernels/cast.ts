import type { KernelDef } from './registry.js';

export const castKernels: KernelDef[] = [];
