import { activationDefinition, type OnnxNodes } from '@shardgrad/core';
import { denseLayers, shiftAndScale, type ExportableModel } from '../model.js';
import { FLOAT, IR_VERSION, METADATA_KEY, OPSET, onnx, type OnnxTypes } from './proto.js';

/** A float32 initializer (raw little-endian bytes, as onnxruntime and the ONNX checker expect). */
function floatTensor(name: string, dims: number[], values: ArrayLike<number>): OnnxTypes.ITensorProto {
  const data = Float32Array.from(values);
  return { name, dims, dataType: FLOAT, rawData: new Uint8Array(data.buffer) };
}

/** A graph input or output: float32 (batch, n), the batch size left symbolic. */
function valueInfo(name: string, n: number): OnnxTypes.IValueInfoProto {
  return {
    name,
    type: { tensorType: { elemType: FLOAT, shape: { dim: [{ dimParam: 'batch' }, { dimValue: n }] } } },
  };
}

/**
 * The model as an ONNX ModelProto (opset 13), input "input" (batch, n₀) of raw features and output
 * "output" (batch, n_L) equal to `shardgrad predict`'s outputs (probabilities after a softmax or
 * sigmoid output layer; the output activation is part of the graph). Preprocessing comes first as
 * Sub/Div nodes; each weight layer is one Gemm, or, with connections that skip layers, a Gemm plus
 * one MatMul per skip block summed with Add, then the activation's node. The spec, preprocessing and
 * meta also travel as JSON in metadata_props["shardgrad"], which importOnnx reads back.
 */
export function exportOnnx(model: ExportableModel): Uint8Array {
  const layers = denseLayers(model);
  const { spec, preprocess } = model;
  const n0 = spec.sizes[0];
  const L = layers.length;
  const nodes: OnnxTypes.INodeProto[] = [];
  const initializers: OnnxTypes.ITensorProto[] = [];
  const node = (opType: string, input: string[], output: string, attribute: OnnxTypes.IAttributeProto[] = []) =>
    nodes.push({ opType, input, output: [output], name: `${opType.toLowerCase()}_${nodes.length}`, attribute });
  // what an activation's definition writes its nodes with (core's ACTIVATION_DEFINITIONS[…].onnx)
  const constants = new Map<number, string>();
  const builder: OnnxNodes = {
    node(op, input, out = `t${nodes.length}`, attributes = {}) {
      const attribute = Object.entries(attributes).map(([name, i]) => ({ name, type: onnx.AttributeProto.AttributeType.INT, i }));
      node(op, [...input], out, attribute);
      return out;
    },
    constant(value) {
      let name = constants.get(value);
      if (name === undefined) {
        name = `c${constants.size}`;
        constants.set(value, name);
        initializers.push(floatTensor(name, [], [value]));
      }
      return name;
    },
  };

  let x = 'input';
  const pre = shiftAndScale(preprocess);
  if (pre) {
    initializers.push(floatTensor('preprocess_shift', [n0], pre.shift), floatTensor('preprocess_scale', [n0], pre.scale));
    node('Sub', ['input', 'preprocess_shift'], 'shifted');
    node('Div', ['shifted', 'preprocess_scale'], 'x');
    x = 'x';
  }
  // y[k]: the name of node layer k's output (y⁰ = the preprocessed input)
  const y: string[] = [x];
  for (const layer of layers) {
    const t = layer.to;
    const { nIn, nOut } = layer.main;
    const last = t === L;
    const op = activationDefinition(layer.activation).onnx;
    const v = last && op === null ? 'output' : `v${t}`;
    initializers.push(floatTensor(`W${t - 1}_${t}`, [nIn, nOut], layer.main.W), floatTensor(`b${t}`, [nOut], layer.b));
    if (layer.skips.length === 0) {
      node('Gemm', [y[t - 1], `W${t - 1}_${t}`, `b${t}`], v); // v = y·W + b: (batch, nOut)
    } else {
      let sum = `gemm${t}`;
      node('Gemm', [y[t - 1], `W${t - 1}_${t}`, `b${t}`], sum);
      layer.skips.forEach((s, i) => {
        const w = `W${s.from}_${t}`;
        initializers.push(floatTensor(w, [s.nIn, s.nOut], s.W));
        node('MatMul', [y[s.from], w], `skip${s.from}_${t}`); // y^k·W^{k→t}: (batch, nOut)
        const next = i === layer.skips.length - 1 ? v : `sum${t}_${i}`;
        node('Add', [sum, `skip${s.from}_${t}`], next);
        sum = next;
      });
    }
    if (op === null) {
      y.push(v);
      continue;
    }
    const out = last ? 'output' : `y${t}`;
    op(builder, v, out);
    y.push(out);
  }

  const shardgrad = { spec: { sizes: spec.sizes, activations: spec.activations, loss: spec.loss, ...(spec.skips?.length ? { skips: spec.skips } : {}) }, preprocess, meta: model.meta ?? {} };
  const message = onnx.ModelProto.create({
    irVersion: IR_VERSION,
    opsetImport: [{ domain: '', version: OPSET }],
    producerName: 'shardgrad',
    producerVersion: '0.1.0',
    docString: `shardgrad MLP ${spec.sizes.join('-')}: input = raw features, output = the outputs of shardgrad predict (after the ${spec.activations[L - 1]} output activation)`,
    graph: {
      name: 'shardgrad_mlp',
      node: nodes,
      initializer: initializers,
      input: [valueInfo('input', n0)],
      output: [valueInfo('output', spec.sizes[L])],
    },
    metadataProps: [{ key: METADATA_KEY, value: JSON.stringify(shardgrad) }],
  });
  return onnx.ModelProto.encode(message).finish();
}
