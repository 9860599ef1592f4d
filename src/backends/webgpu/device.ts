import { NeuropodError } from '../../api/errors.js';
import { lossReason } from './gpu-buffer-tensor.js';
import { findGpu, type GpuSource } from './gpu-source.js';

/** Features the engine uses when the adapter has them; none is required. */
export const WANTED_FEATURES = ['shader-f16', 'subgroups', 'timestamp-query'] as readonly GPUFeatureName[];

/** Limits raised to the adapter's own values (the defaults are far below what real GPUs allow). */
const RAISED_LIMITS = [
  'maxStorageBufferBindingSize', 'maxBufferSize', 'maxComputeWorkgroupStorageSize', 'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupSizeX', 'maxComputeWorkgroupSizeY', 'maxStorageBuffersPerShaderStage', 'maxComputeWorkgroupsPerDimension',
] as const;

export interface GpuDevice {
  device: GPUDevice;
  features: ReadonlySet<string>;
  origin: string;
  /** Settles (rejected with DEVICE_LOST) when the device is lost; never resolves. */
  lost: Promise<never>;
  isLost(): boolean;
}

/** A device with the wanted features and the adapter's limits; loss is watched from the start. */
export async function openDevice(): Promise<GpuDevice> {
  const found = await findGpu();
  if (typeof found === 'string') throw new NeuropodError('BACKEND_UNAVAILABLE', `webgpu: ${found}`);
  return deviceOn(found);
}

async function deviceOn(source: GpuSource): Promise<GpuDevice> {
  const { adapter } = source;
  const requiredFeatures = WANTED_FEATURES.filter((f) => adapter.features.has(f as string));
  const requiredLimits: Record<string, number> = {};
  for (const name of RAISED_LIMITS) {
    const v = (adapter.limits as unknown as Record<string, number | undefined>)[name];
    if (typeof v === 'number') requiredLimits[name] = v;
  }
  const device = await adapter.requestDevice({ requiredFeatures, requiredLimits });
  let lostReason: string | undefined;
  const lost = device.lost.then((info) => {
    lostReason = lossReason(info);
    throw new NeuropodError('DEVICE_LOST', `webgpu: the GPU device was lost (${lostReason}); the call was abandoned, the next call opens a new device`);
  });
  lost.catch(() => {});
  return { device, features: new Set(requiredFeatures), origin: source.origin, lost, isLost: () => lostReason !== undefined };
}
