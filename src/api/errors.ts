/**
 * One error class for everything the engine throws on purpose. `code` is stable (tests and users switch on it);
 * the message says what was wrong and where, in words a person can act on.
 */
export const ERROR_CODES = {
  CONFIG_INVALID: 'the package config.json is missing, not JSON, or breaks a Neuropod rule',
  ARCHIVE_INVALID: 'the package is not a readable zip or directory, or an entry is damaged',
  ARCHIVE_ENTRY_MISSING: 'a file the package needs is not in it',
  MANIFEST_MISMATCH: 'a file does not match its sha256 in manifest.json',
  PLATFORM_UNSUPPORTED: 'the package platform cannot run in this engine (yet)',
  CUSTOM_OPS_UNSUPPORTED: 'the package needs native custom ops, which a browser cannot load',
  MODEL_INVALID: 'the model file inside the package is malformed',
  OP_UNSUPPORTED: 'the graph uses an operator no backend implements',
  SPEC_DTYPE: 'a tensor has another dtype than its spec says',
  SPEC_RANK: 'a tensor has another rank than its spec says',
  SPEC_DIM: 'a tensor dimension does not match its spec',
  SPEC_SYMBOL: 'two dims with one spec symbol have different sizes',
  SPEC_UNKNOWN_NAME: 'a tensor name is not in the spec',
  OUTPUT_UNKNOWN: 'a requested output does not exist',
  TENSOR_INVALID: 'tensor data does not fit its shape or dtype',
  INFERENCE_FAILED: 'an operator failed while running the graph',
  DISPOSED: 'the model was used after dispose()',
  NOT_LOADED: 'the model was used before it finished loading',
  DEVICE_LOST: 'the GPU device was lost during a call',
  WORKER_CRASHED: 'the Worker running the engine died',
  ABORTED: 'the call was cancelled through its AbortSignal',
  BACKEND_UNAVAILABLE: 'the requested backend cannot start here',
  IO_FAILED: 'a file or URL could not be read',
  USAGE: 'an API or CLI argument is wrong',
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export class NeuropodError extends Error {
  override name = 'NeuropodError';
  constructor(
    readonly code: ErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Neuropod prefixes every runtime error so (NEUROPOD-FORMAT.md section 5). */
export const RUNTIME_PREFIX = 'Neuropod Error: ';

export function runtimeError(code: ErrorCode, message: string): NeuropodError {
  return new NeuropodError(code, RUNTIME_PREFIX + message);
}

export function isNeuropodError(e: unknown): e is NeuropodError {
  return e instanceof Error && (e as NeuropodError).name === 'NeuropodError' && typeof (e as NeuropodError).code === 'string';
}
