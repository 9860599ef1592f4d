import { attentionKernels } from './attention.js';
import { controlflowKernels } from './controlflow.js';
import { convKernels } from './conv.js';
import { elementwiseKernels } from './elementwise.js';
import { gatherKernels } from './gather.js';
import { matmulKernels } from './matmul.js';
import { microsoftKernels } from './microsoft.js';
import { normalizationKernels } from './normalization.js';
import { poolKernels } from './pool.js';
import { quantizeKernels } from './quantize.js';
import { reduceKernels } from './reduce.js';
import { KernelTable } from './registry.js';
import { resizeKernels } from './resize.js';
import { rnnKernels } from './rnn.js';
import { sequenceKernels } from './sequence.js';
import { stringKernels } from './string.js';
import { tensorKernels } from './tensor.js';

/** Every reference kernel, one family a file. Adding an operator touches its family file only. */
export const referenceKernels = new KernelTable([
  elementwiseKernels, reduceKernels, tensorKernels, gatherKernels, resizeKernels, sequenceKernels, stringKernels,
  matmulKernels, convKernels, poolKernels, normalizationKernels, rnnKernels, quantizeKernels, microsoftKernels,
  attentionKernels, controlflowKernels,
]);
