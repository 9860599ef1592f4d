import type protobuf from 'protobufjs/light.js';
import { NeuropodError } from '../../api/errors.js';
import { toTfNode, type TfNode } from './builder.js';
import { inlineFunctions } from './functions.js';
import type { GraphDefMsg } from './schema.js';

/** protobufjs reports a truncated or foreign file as a bare error: say which file and what it was meant to be. */
export function decodeMessage<T>(type: protobuf.Type, bytes: Uint8Array, where: string): T {
  try {
    return type.decode(bytes) as unknown as T;
  } catch (e) {
    const reason = e instanceof Error ? e.message : String(e);
    throw new NeuropodError('MODEL_INVALID', `${where} is not a TensorFlow ${type.name} (truncated or another format): ${reason}`, { cause: e });
  }
}

/** The graph's nodes with library functions inlined at their call sites. */
export function graphNodes(graph: GraphDefMsg): TfNode[] {
  return inlineFunctions(graph.node.map(toTfNode), graph.library?.function ?? []);
}
