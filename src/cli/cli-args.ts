import { parseArgs, type ParseArgsConfig } from 'node:util';
import { NeuropodError } from '../api/errors.js';

/** node:util parseArgs, with its complaints turned into USAGE errors (exit code 2). */
export function parseCliArgs<T extends ParseArgsConfig['options']>(args: string[], options: T) {
  try {
    return parseArgs({ args, options: { ...options, help: { type: 'boolean', short: 'h' } }, allowPositionals: true, strict: true });
  } catch (e) {
    throw new NeuropodError('USAGE', (e as Error).message);
  }
}
