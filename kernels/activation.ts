import type { KernelDef } from './registry.js';

export const activationKernels: KernelDef[] = [];
