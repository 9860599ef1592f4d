import type { CompareReport, ElementDiff, ElementValue, OutputReport } from './compare.js';

/**
 * A report as a person reads it: one line a verdict, one line an output, and for each failing output the worst
 * element with its index, both values, its error and the tolerance it was held to.
 *
 *   FAIL: 1 of 2 outputs differ (strict, rtol 0.0001, atol 1e-05)
 *     ok    logits  float32[1,10]  max abs 2.38e-7, max rel 1.1e-6
 *     FAIL  probs   float32[1,1000]  3 of 1000 elements out of tolerance; max abs 0.0131, max rel 0.408
 *           worst at [0,417] (flat 417): actual 0.0452, expected 0.0321, |diff| 0.0131 > tolerance 0.0000132
 */
export function formatReport(report: CompareReport): string {
  const failed = report.outputs.filter((o) => !o.pass).length;
  const settings = `${report.semantics}, rtol ${num(report.rtol)}, atol ${num(report.atol)}`;
  const verdict = report.pass
    ? `PASS: ${report.outputs.length} output${report.outputs.length === 1 ? '' : 's'} match (${settings})`
    : `FAIL: ${failed} of ${report.outputs.length} outputs differ (${settings})`;
  const width = Math.max(0, ...report.outputs.map((o) => o.name.length));
  return [verdict, ...report.outputs.flatMap((o) => outputLines(o, width, report))].join('\n');
}

function outputLines(o: OutputReport, width: number, report: CompareReport): string[] {
  const head = `  ${o.pass ? 'ok  ' : 'FAIL'}  ${o.name.padEnd(width)}  ${typeText(o)}`;
  if (o.status === 'missing' || o.status === 'extra' || o.status === 'dtype' || o.status === 'shape') return [`${head}  ${o.reason}`];
  const errors = o.comparison === 'exact' ? 'compared exactly' : `max abs ${num(o.maxAbsError)}, max rel ${num(o.maxRelError)}`;
  const counted = o.pass ? errors : `${o.mismatched} of ${o.size} elements ${o.comparison === 'exact' ? 'differ' : 'out of tolerance'}; ${errors}`;
  const lines = [`${head}  ${counted}`];
  if (!o.pass && o.worst) lines.push(`        ${worstText(o.worst, o.comparison, report)}`);
  return lines;
}

function typeText(o: OutputReport): string {
  const t = o.actual ?? o.expected!;
  return `${t.dtype}[${t.shape.join(',')}]`;
}

function worstText(w: ElementDiff, comparison: OutputReport['comparison'], report: CompareReport): string {
  const where = `worst at [${w.position.join(',')}] (flat ${w.index})`;
  const values = `actual ${value(w.actual)}, expected ${value(w.expected)}`;
  if (comparison === 'exact') return `${where}: ${values}`;
  const reference = report.semantics === 'strict' ? 'expected' : 'actual';
  const bound = `tolerance ${num(w.tolerance)} = atol ${num(report.atol)} + rtol ${num(report.rtol)} * |${reference}|`;
  return `${where}: ${values}, |diff| ${num(w.absError)} > ${bound}`;
}

function value(v: ElementValue): string {
  return typeof v === 'string' ? JSON.stringify(v) : typeof v === 'number' ? num(v) : String(v);
}

/** Enough digits to see a float32 difference, no more. */
function num(v: number): string {
  if (!Number.isFinite(v) || Number.isInteger(v)) return String(v);
  return String(Number(v.toPrecision(6)));
}
