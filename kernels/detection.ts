import type { KernelDef } from './registry.js';

export const detectionKernels: KernelDef[] = [];
