/**
 * WebGPU's flag values (the spec's GPUBufferUsage / GPUMapMode). Dawn for Node does not define the globals, so
 * the engine carries its own copy of the numbers.
 */
export const BufferUsage = {
  MAP_READ: 0x1,
  COPY_SRC: 0x4,
  COPY_DST: 0x8,
  UNIFORM: 0x40,
  STORAGE: 0x80,
} as const;

export const MapMode = { READ: 0x1 } as const;
