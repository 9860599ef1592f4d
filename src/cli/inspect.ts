import { NeuropodError } from '../api/errors.js';
import { openModel } from '../api/open-model.js';
import type { Graph, Model } from '../graph/ir.js';
import { inferShapes } from '../graph/passes/infer-shapes.js';
import { subgraphsOf } from '../runtime/executor.js';
import type { TensorSpec } from '../spec/types.js';
import { parseCliArgs } from './cli-args.js';
import { EXIT } from './exit-codes.js';

const HELP = `Usage: neuropod-web inspect <package>

Prints the package's name, platform, input and output spec, the operators its imported graph uses, the
outputs' shapes as inference finds them from the graph's declared inputs, and its size.`;

export async function inspectCli(args: string[]): Promise<number> {
  const { values, positionals } = parseCliArgs(args, {});
  if (values.help) return console.log(HELP), EXIT.ok;
  if (positionals.length !== 1) throw new NeuropodError('USAGE', `give exactly one package, got ${positionals.length}\n\n${HELP}`);
  const opened = await openModel(positionals[0]!);
  const lines = [
    `name:     ${opened.name}`,
    `platform: ${opened.platform}`,
    `source:   ${opened.source}`,
    ...(opened.byteLength !== undefined ? [`size:     ${formatBytes(opened.byteLength)}`] : []),
    'inputs:',
    ...opened.inputs.map(specLine),
    'outputs:',
    ...opened.outputs.map(specLine),
  ];
  if (opened.imported) {
    const graph = opened.imported.model.graph;
    lines.push(`graph:    ${countNodes(graph)} nodes, ${graph.initializers.size} initializers`, 'operators:');
    for (const [op, count] of [...operatorCounts(graph)].sort(([a], [b]) => a.localeCompare(b))) lines.push(`  ${op} x${count}`);
    lines.push('inferred outputs:', ...inferredOutputLines(opened.imported.model));
  } else {
    lines.push(`operators: not imported (${opened.unavailable?.message})`);
  }
  console.log(lines.join('\n'));
  return EXIT.ok;
}

/** The graph outputs' dtype and dims as shape inference finds them from the declared inputs: symbols kept, '?' unknown. */
export function inferredOutputLines(model: Model): string[] {
  const { infos } = inferShapes(model);
  return model.graph.outputs.map((o) => {
    const info = infos.get(o.name);
    const dims = info?.dims ? `[${info.dims.map((d) => (d === null ? '?' : String(d))).join(', ')}]` : '(rank unknown)';
    return `  ${o.name}: ${info?.dtype ?? '?'} ${dims}`;
  });
}

function specLine(spec: TensorSpec): string {
  const dims = spec.shape.map((d) => (d === null ? 'null' : typeof d === 'string' ? JSON.stringify(d) : String(d)));
  return `  ${spec.name}: ${spec.dtype} [${dims.join(', ')}]`;
}

/** Operators by 'domain::op' ('' domain printed bare), subgraphs (If/Loop/Scan bodies) included. */
export function operatorCounts(graph: Graph, counts = new Map<string, number>()): Map<string, number> {
  for (const node of graph.nodes) {
    const key = node.domain && node.domain !== 'ai.onnx' ? `${node.domain}::${node.opType}` : node.opType;
    counts.set(key, (counts.get(key) ?? 0) + 1);
    for (const sub of subgraphsOf(node)) operatorCounts(sub, counts);
  }
  return counts;
}

function countNodes(graph: Graph): number {
  return graph.nodes.reduce((n, node) => n + 1 + subgraphsOf(node).reduce((m, g) => m + countNodes(g), 0), 0);
}

function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}
