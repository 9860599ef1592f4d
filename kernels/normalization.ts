import type { KernelDef } from './registry.js';

export const normalizationKernels: KernelDef[] = [];
