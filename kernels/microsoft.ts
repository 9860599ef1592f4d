import type { KernelDef } from './registry.js';

export const microsoftKernels: KernelDef[] = [];
