import type { Model } from '../graph/ir.js';
import type { Value } from '../graph/value.js';
import type { Tolerance } from './compare.js';

/** Where a test comes from. Kinds: an ONNX backend node test dir, a 'light' model file, one case of an ORT-web .jsonc. */
export type TestKind = 'node' | 'light' | 'op';

/** A test as the runner lists it: cheap to make, sent to a worker, which loads it. */
export interface TestRef {
  /** Unique, stable display name ('onnx-node/test_abs', 'ort-web-ops/abs.jsonc > Abs > 3D float32 test'). */
  id: string;
  suite: string;
  kind: TestKind;
  /** The test dir (node), the .onnx file (light), the .jsonc file (op). */
  path: string;
  /** Op tests: the test object and the case inside the file. */
  test?: number;
  case?: number;
}

/** One set of feeds and the outputs they must give. */
export interface DataSet {
  name: string;
  feeds: Map<string, Value>;
  expected: Map<string, Value>;
}

/** A loaded test: a model and its data sets, compared with one tolerance. */
export interface LoadedTest {
  model: Model;
  dataSets: DataSet[];
  tolerance: Tolerance;
}
