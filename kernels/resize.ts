import type { KernelDef } from './registry.js';

export const resizeKernels: KernelDef[] = [];
