// The op registry: every op of the IR, by name. Adding an op is one file and one line here.
import type { OpDef } from "./op.ts";
import type { OpName } from "./names.ts";
import { constOp } from "./const.ts";
import { dimsizeOp, dropoutMaskOp, inputOp, paramOp, stateOp } from "./leaves.ts";
import { addOp, divOp, mulOp, negOp, subOp } from "./arith.ts";
import { powOp } from "./pow.ts";
import { absOp, expOp, logOp, softplusOp, sqrtOp, tanhOp } from "./math.ts";
import { eluOp, geluOp, leakyReluOp, reluOp, sigmoidOp, stepOp } from "./activations.ts";
import { eluDerivOp, eqOp, geluDerivOp, gt0Op, leakyDerivOp, signOp } from "./masks.ts";
import { bceDpOp, bceDyOp, bceOp, xentDpOp, xentDyOp, xentOp } from "./losses.ts";
import { maxOp, meanOp, sumOp } from "./reduce.ts";
import { expandOp, reshapeOp, transposeOp } from "./shape.ts";
import { matmulOp } from "./matmul.ts";
import { logSoftmaxOp, softmaxOp } from "./softmax.ts";
import { bceLogitsOp } from "./bce-logits.ts";
import { softmaxXentIntOp, softmaxXentOp } from "./softmax-xent.ts";
import { batchnormDxOp, batchnormOp } from "./batchnorm.ts";
import { conv2dDwOp, conv2dDxOp, conv2dOp } from "./conv.ts";
import { avgPool2dDxOp, avgPool2dOp, maxPool2dDxOp, maxPool2dOp } from "./pool.ts";
import { gatherOp, pickOp, scatterAddOp, unpickOp } from "./gather.ts";
import { layernormDxOp, layernormOp } from "./layernorm.ts";
import { causalMaskOp } from "./causal.ts";

export const registry: Record<OpName, OpDef> = {
  const: constOp,
  input: inputOp,
  param: paramOp,
  state: stateOp,
  dimsize: dimsizeOp,
  dropout_mask: dropoutMaskOp,
  add: addOp,
  sub: subOp,
  mul: mulOp,
  div: divOp,
  neg: negOp,
  pow: powOp,
  exp: expOp,
  log: logOp,
  sqrt: sqrtOp,
  abs: absOp,
  tanh: tanhOp,
  softplus: softplusOp,
  sigmoid: sigmoidOp,
  relu: reluOp,
  leaky_relu: leakyReluOp,
  elu: eluOp,
  step: stepOp,
  gt0: gt0Op,
  sign: signOp,
  leaky_deriv: leakyDerivOp,
  elu_deriv: eluDerivOp,
  eq: eqOp,
  bce: bceOp,
  bce_dp: bceDpOp,
  bce_dy: bceDyOp,
  xent: xentOp,
  xent_dp: xentDpOp,
  xent_dy: xentDyOp,
  sum: sumOp,
  mean: meanOp,
  max: maxOp,
  expand: expandOp,
  reshape: reshapeOp,
  transpose: transposeOp,
  matmul: matmulOp,
  softmax: softmaxOp,
  log_softmax: logSoftmaxOp,
  bce_logits: bceLogitsOp,
  softmax_xent: softmaxXentOp,
  batchnorm: batchnormOp,
  batchnorm_dx: batchnormDxOp,
  conv2d: conv2dOp,
  conv2d_dx: conv2dDxOp,
  conv2d_dw: conv2dDwOp,
  max_pool2d: maxPool2dOp,
  max_pool2d_dx: maxPool2dDxOp,
  avg_pool2d: avgPool2dOp,
  avg_pool2d_dx: avgPool2dDxOp,
  gather: gatherOp,
  scatter_add: scatterAddOp,
  pick: pickOp,
  unpick: unpickOp,
  softmax_xent_int: softmaxXentIntOp,
  layernorm: layernormOp,
  layernorm_dx: layernormDxOp,
  gelu: geluOp,
  gelu_deriv: geluDerivOp,
  causal_mask: causalMaskOp,
};

export function opDef(name: OpName): OpDef {
  return registry[name];
}

export * from "./const.ts";
export * from "./leaves.ts";
export * from "./arith.ts";
export * from "./pow.ts";
export * from "./math.ts";
export * from "./activations.ts";
export * from "./masks.ts";
export * from "./losses.ts";
export * from "./reduce.ts";
export * from "./shape.ts";
export * from "./matmul.ts";
export * from "./softmax.ts";
export * from "./bce-logits.ts";
export * from "./softmax-xent.ts";
export * from "./batchnorm.ts";
export * from "./conv.ts";
export * from "./pool.ts";
export * from "./gather.ts";
export * from "./layernorm.ts";
export * from "./causal.ts";
export { ShapeError, type OpDef, type Tensor, type EvalEnv } from "./op.ts";
