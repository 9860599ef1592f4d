import { existsSync } from 'node:fs';
import type { Browser, LaunchOptions } from 'playwright-core';

/** Debian's Chromium (DESIGN.md section 6); CHROMIUM_PATH overrides. */
export const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const hasChromium = existsSync(chromiumPath);

/** Flags that keep Chromium off the network, plus SwiftShader WebGPU where there is no GPU. */
export function chromiumArgs(options: { webgpu?: boolean; swiftshader?: boolean } = {}): string[] {
  const args = ['--headless=new', '--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];
  if (options.webgpu !== false) args.push('--enable-unsafe-webgpu', '--enable-features=Vulkan');
  if (options.swiftshader ?? !process.env.NEUROPOD_REAL_GPU) args.push('--use-webgpu-adapter=swiftshader');
  return args;
}

export async function launchChromium(options: { webgpu?: boolean; swiftshader?: boolean; extraArgs?: string[]; launch?: LaunchOptions } = {}): Promise<Browser> {
  const { chromium } = await import('playwright-core');
  return chromium.launch({ executablePath: chromiumPath, ...options.launch, args: [...chromiumArgs(options), ...(options.extraArgs ?? [])] });
}

let warned = false;
/** For suites that need a browser: prints once why they skip when Chromium is absent. */
export function chromiumOrSkip(what: string): boolean {
  if (!hasChromium && !warned) {
    warned = true;
    console.warn(`[neuropod-web] ${chromiumPath} not found: skipping browser tests (${what}). Install Debian's chromium or set CHROMIUM_PATH.`);
  }
  return hasChromium;
}
