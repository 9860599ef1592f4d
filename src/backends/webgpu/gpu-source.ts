/**
 * Where a `GPU` object comes from: the page's `navigator.gpu`, or in Node the `webgpu` npm package (Dawn). Dawn
 * runs on a Vulkan driver; where the default one yields no adapter (Debian 12's lavapipe lacks a feature Dawn
 * needs), Chromium's bundled SwiftShader ICD is tried. See docs/webgpu.md.
 */

/** Vulkan ICD manifests tried in Node, in order, when VK_ICD_FILENAMES is unset and the default finds nothing. */
export const FALLBACK_VULKAN_ICDS = [
  '/usr/lib/chromium/vk_swiftshader_icd.json',
  '/usr/share/vulkan/icd.d/lvp_icd.x86_64.json',
];

export interface GpuSource {
  gpu: GPU;
  /** A fresh adapter: a WebGPU adapter yields one device, so each new device needs its own. */
  adapter: GPUAdapter;
  /** 'navigator.gpu', or 'webgpu (Dawn)' with the ICD used. */
  origin: string;
}

let nodeSource: Promise<GpuSource | string> | undefined;

/** The GPU and a new adapter, or the reason there is none here. Node's driver is chosen once a process. */
export async function findGpu(): Promise<GpuSource | string> {
  const gpu = (globalThis as { navigator?: { gpu?: GPU } }).navigator?.gpu;
  if (gpu) {
    const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
    return adapter ? { gpu, adapter, origin: 'navigator.gpu' } : 'navigator.gpu gave no adapter';
  }
  if (!isNode()) return 'this environment has no navigator.gpu (WebGPU)';
  const first = nodeSource === undefined;
  nodeSource ??= nodeGpu();
  const found = await nodeSource;
  if (typeof found === 'string' || first) return found;
  const adapter = await found.gpu.requestAdapter({ powerPreference: 'high-performance' });
  return adapter ? { ...found, adapter } : `${found.origin} gave no adapter this time`;
}

/** The name of a software adapter (SwiftShader, lavapipe/llvmpipe, WARP), or undefined for a real GPU. */
export function softwareAdapter(adapter: GPUAdapter): string | undefined {
  const info = (adapter as { info?: GPUAdapterInfo & { isFallbackAdapter?: boolean } }).info;
  const text = [info?.vendor, info?.architecture, info?.device, info?.description].filter(Boolean).join(' ');
  const named = /swiftshader|lavapipe|llvmpipe|microsoft basic render|warp/i.exec(text)?.[0];
  if (named) return named;
  return info?.isFallbackAdapter || (adapter as { isFallbackAdapter?: boolean }).isFallbackAdapter ? `a fallback adapter (${text || 'no info'})` : undefined;
}

/**
 * Call on Node's main thread before starting worker threads that use WebGPU: it settles the Vulkan driver there
 * (setting VK_ICD_FILENAMES when a fallback ICD is needed), which a worker cannot do, because a worker's
 * process.env is a copy the native driver loader never reads.
 */
export async function settleVulkanDriver(): Promise<void> {
  if (isNode() && !(globalThis as { navigator?: { gpu?: GPU } }).navigator?.gpu) await findGpu();
}

function isNode(): boolean {
  return typeof process !== 'undefined' && typeof process.versions?.node === 'string';
}

interface DawnModule {
  create(options: string[]): GPU;
}

async function nodeGpu(): Promise<GpuSource | string> {
  let dawn: DawnModule;
  try {
    // NEUROPOD_WEBGPU_MODULE may name another Dawn build; a specifier known only at run time also keeps our
    // bundle, and an app's bundler, from resolving the Node-only package.
    const name = process.env.NEUROPOD_WEBGPU_MODULE ?? 'webgpu';
    dawn = (await import(/* @vite-ignore */ name)) as DawnModule;
  } catch (e) {
    return `the 'webgpu' npm package (Dawn for Node) cannot be loaded: ${e instanceof Error ? e.message : String(e)}`;
  }
  const tried: string[] = [];
  const first = await adapterOf(dawn);
  if (first) return { ...first, origin: `webgpu (Dawn), ${process.env.VK_ICD_FILENAMES ?? 'default Vulkan driver'}` };
  tried.push(process.env.VK_ICD_FILENAMES ?? 'the default Vulkan driver');
  if (process.env.VK_ICD_FILENAMES === undefined) {
    const { existsSync } = await import('node:fs');
    for (const icd of FALLBACK_VULKAN_ICDS.filter((p) => existsSync(p))) {
      process.env.VK_ICD_FILENAMES = icd;
      const found = await adapterOf(dawn);
      if (found) return { ...found, origin: `webgpu (Dawn), ${icd}` };
      tried.push(icd);
    }
    delete process.env.VK_ICD_FILENAMES;
  }
  return `the 'webgpu' package found no adapter (tried ${tried.join(', ')}); install a Vulkan driver (Chromium's SwiftShader or Mesa) or set VK_ICD_FILENAMES`;
}

async function adapterOf(dawn: DawnModule): Promise<{ gpu: GPU; adapter: GPUAdapter } | undefined> {
  const gpu = dawn.create([]);
  const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  return adapter ? { gpu, adapter } : undefined;
}
