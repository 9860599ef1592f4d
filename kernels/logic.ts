import type { KernelDef } from './registry.js';

export const logicKernels: KernelDef[] = [];
