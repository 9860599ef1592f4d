import type { KernelDef } from './registry.js';

export const attentionKernels: KernelDef[] = [];
