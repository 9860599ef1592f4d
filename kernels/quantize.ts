import type { KernelDef } from './registry.js';

export const quantizeKernels: KernelDef[] = [];
