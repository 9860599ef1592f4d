import { activationKernels } from './activation.js';
import { attentionKernels } from './attention.js';
import { castKernels } from './cast.js';
import { controlflowKernels } from './controlflow.js';
import { convKernels } from './conv.js';
import { detectionKernels } from './detection.js';
import { elementwiseKernels } from './elementwise.js';
import { gatherKernels } from './gather.js';
import { generatorKernels } from './generator.js';
import { logicKernels } from './logic.js';
import { lossKernels } from './loss.js';
import { matmulKernels } from './matmul.js';
import { microsoftKernels } from './microsoft.js';
import { mlKernels } from './ml.js';
import { normalizationKernels } from './normalization.js';
import { poolKernels } from './pool.js';
import { quantizeKernels } from './quantize.js';
import { randomKernels } from './random.js';
import { reduceKernels } from './reduce.js';
import { resizeKernels } from './resize.js';
import { rnnKernels } from './rnn.js';
import { sequenceKernels } from './sequence.js';
import { signalKernels } from './signal.js';
import { stringKernels } from './string.js';
import { tensorKernels } from './tensor.js';
import { KernelTable } from './registry.js';

/** Every reference kernel, one family a file. Adding an operator touches its family file only. */
export const referenceKernels = new KernelTable([
  activationKernels, attentionKernels, castKernels, controlflowKernels, convKernels, detectionKernels, elementwiseKernels, gatherKernels, generatorKernels, logicKernels, lossKernels, matmulKernels, microsoftKernels, mlKernels, normalizationKernels, poolKernels, quantizeKernels, randomKernels, reduceKernels, resizeKernels, rnnKernels, sequenceKernels, signalKernels, stringKernels, tensorKernels,
]);
