import type { KernelDef } from './registry.js';

export const sequenceKernels: KernelDef[] = [];
