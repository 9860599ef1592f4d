import type { KernelDef } from './registry.js';

export const convKernels: KernelDef[] = [];
