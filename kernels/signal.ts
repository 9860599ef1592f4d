import type { KernelDef } from './registry.js';

export const signalKernels: KernelDef[] = [];
