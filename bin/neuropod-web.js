#!/usr/bin/env node
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../dist/src/cli/main.js';

// Dawn (WebGPU in Node, probed by backend 'auto') prints an error when XDG_RUNTIME_DIR is unset, as on servers
// and in CI; give it a private one so a run's output is only the run's.
process.env.XDG_RUNTIME_DIR ??= mkdtempSync(join(tmpdir(), 'neuropod-web-xdg-'));
process.exitCode = await main(process.argv.slice(2));
