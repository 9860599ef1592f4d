/**
 * neuropod-web/testing: check a model's outputs against a server's, a file's or a package's own test data.
 * Everything here is plain data in and out, so it runs in Node, a page or a Worker alike.
 */
export { compareOutputs, positionOf, type CompareOptions, type CompareReport, type CompareSemantics, type ElementDiff, type ElementValue, type OutputReport, type OutputStatus, type TensorLike, type TensorMap } from './compare.js';
export { formatReport } from './format-report.js';
export { readNpy, writeNpy } from './npy.js';
export { readNpz } from './npz.js';
export { readJsonTensors, tensorFromJson, tensorToJson, tensorsToJson, type JsonTensor } from './json-tensors.js';
export { readTensorProto } from '../formats/onnx/decode.js';
export { readNeuropodTestData, type NeuropodTestData } from '../formats/pickle/test-data.js';
export type { SelfTestOptions, SelfTestReport } from './self-test.js';
export { fetchServerOutputs, fetchServerSpec, type ServerRequestOptions } from '../serve/client.js';
export { decodeTensorFrame, encodeTensorFrame, TENSOR_FRAME_TYPE } from '../serve/tensor-frame.js';
export { Tensor, tensor } from '../tensor/tensor.js';
