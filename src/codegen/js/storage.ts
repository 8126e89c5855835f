// What createModel allocates: the params with their initializers, the state, and the buffers
// (static ones allocated once; those sized by a named dim grown by `$ensure` when a larger size
// arrives; buffers whose lifetimes never overlap sharing one allocation).
import { isScalar, type Node } from "../../ir/node.ts";
import { fans, type Leaf, type ParamLeaf } from "../../ir/model.ts";
import { lit } from "../../ops/op.ts";
import type { MemoryPlan } from "../schedule/memory.ts";
import { jsComment, jsString } from "../text.ts";
import type { Plan } from "../schedule/plan.ts";

export function dimDecls(plan: Plan): string[] {
  return [...plan.dimVars].flatMap(([d, v]) => [
    `let ${v} = 0; // ${jsComment(d)}`,
    `let ${plan.capVars.get(d)} = 0;`,
  ]);
}

/**
 * Where a target keeps a leaf's values, if not in an array of its own: `store`, an expression for
 * the array, and `define`, the statement that puts it in `$params` or `$state`.
 */
export type Placement = (leaf: Leaf) => { store: string; define: string } | null;

/** An array of its own, made here, for every leaf. */
const ownArrays: Placement = () => null;

/** A leaf's array: its own (`const h_W = new Float32Array(512);`), or where the target put it. */
function place(plan: Plan, leaf: Leaf, into: string, placement: Placement) {
  const placed = placement(leaf);
  if (placed) return { store: placed.store, lines: [placed.define] };
  const store = isScalar(leaf.shape) ? plan.storage.get(leaf.node)! : plan.nameOf(leaf.node);
  return {
    store,
    lines: [`const ${store} = new ${plan.array}(${plan.size(leaf.shape)});`],
    define: `${into}[${jsString(leaf.name)}] = ${store};`,
  };
}

export function params(plan: Plan, placement: Placement = ownArrays): string[] {
  const lines = ["// params", "const $params = Object.create(null);"];
  for (const p of plan.model.params) {
    if (!plan.isStatic(p.shape)) throw new Error(`param ${p.name} needs a static shape`);
    const { store, lines: made, define } = place(plan, p, "$params", placement);
    lines.push(...made, ...initCode(plan, p, store), ...(define ? [define] : []));
  }
  lines.push(
    "if ($options.params !== undefined) {",
    "  const $given = $options.params;",
    '  if ($given === null || typeof $given !== "object")',
    '    throw new Error("params must be an object, got " + $describe($given));',
    "  for (const $key of $given instanceof Map ? $given.keys() : Object.keys($given)) {",
    "    if (!$hasOwn($params, $key))",
    `      throw new Error("unknown param " + JSON.stringify($key) + "; the params are: " + Object.keys($params).join(", "));`,
    "    const $value = $given instanceof Map ? $given.get($key) : $given[$key];",
    "    const $ok = Array.isArray($value) || $isNumberArray($value);",
    "    if (!$ok || $value.length !== $params[$key].length)",
    `      throw new Error("param " + JSON.stringify($key) + " should be " + $params[$key].length + " numbers, got " + $describe($value));`,
    "    $params[$key].set($value);",
    "  }",
    "}",
    "Object.freeze($params);",
  );
  return lines;
}

function initCode(plan: Plan, p: ParamLeaf, store: string): string[] {
  const shape = p.shape.map((d) => Number(plan.dim(d)));
  const size = shape.reduce((a, b) => a * b, 1);
  const [fanIn, fanOut] = fans(shape);
  const init = p.init;
  switch (init.kind) {
    case "fill":
      return init.value === 0 ? [] : [`${store}.fill(${lit(init.value)});`];
    case "values":
      if (init.values.length === 1) return [`${store}.fill(${lit(init.values[0]!)});`];
      if (init.values.length !== size)
        throw new Error(`param ${p.name} has ${size} elements but ${init.values.length} values`);
      return [`${store}.set([${init.values.map(lit).join(", ")}]);`];
    case "zeros":
      return [];
    case "ones":
      return [`${store}.fill(1);`];
    case "normal":
      return [`$initNormal($rng, ${store}, ${lit(init.mean)}, ${lit(init.std)});`];
    case "uniform":
      return [`$initUniform($rng, ${store}, ${lit(init.low)}, ${lit(init.high)});`];
    case "glorot": {
      const limit = Math.sqrt(6 / (fanIn + fanOut));
      return [
        `// glorot: sqrt(6 / (${fanIn} + ${fanOut}))`,
        `$initUniform($rng, ${store}, ${lit(-limit)}, ${lit(limit)});`,
      ];
    }
    case "he":
      return [
        `// he: sqrt(2 / ${fanIn})`,
        `$initNormal($rng, ${store}, 0, ${lit(Math.sqrt(2 / fanIn))});`,
      ];
  }
}

/**
 * `createModel({ weights })`: every param and every state array of the model, by name, as
 * `loadWeights` returns them (a Map or an object): a model's saved weights in one call.
 */
export function weightsOption(plan: Plan): string[] {
  const all = [...plan.model.params, ...plan.model.state].map((l) => l.name);
  return [
    "if ($options.weights !== undefined) {",
    "  const $given = $options.weights;",
    '  if ($given === null || typeof $given !== "object")',
    '    throw new Error("weights must be a Map or an object, got " + $describe($given));',
    "  if ($options.params !== undefined)",
    '    throw new Error("give createModel its params or its weights, not both");',
    "  const $names = $given instanceof Map ? [...$given.keys()] : Object.keys($given);",
    `  const $all = [${all.map(jsString).join(", ")}];`,
    "  for (const $key of $names) {",
    "    const $into = $hasOwn($params, $key) ? $params[$key] : $hasOwn($state, $key) ? $state[$key] : undefined;",
    "    if ($into === undefined)",
    `      throw new Error("unknown weight " + JSON.stringify($key) + "; the params and state are: " + $all.join(", "));`,
    "    const $value = $given instanceof Map ? $given.get($key) : $given[$key];",
    "    const $ok = Array.isArray($value) || $isNumberArray($value);",
    "    if (!$ok || $value.length !== $into.length)",
    `      throw new Error("weight " + JSON.stringify($key) + " should be " + $into.length + " numbers, got " + $describe($value));`,
    "    $into.set($value);",
    "  }",
    "  const $lacking = $all.filter(($n) => !$names.includes($n));",
    "  if ($lacking.length > 0)",
    '    throw new Error("weights lack " + $lacking.map(($n) => JSON.stringify($n)).join(", ") + " (the weights of another model?)");',
    "}",
  ];
}

export function stateDecls(plan: Plan, placement: Placement = ownArrays): string[] {
  const lines = ["// state", "const $state = Object.create(null);"];
  for (const s of plan.model.state) {
    const { store, lines: made, define } = place(plan, s, "$state", placement);
    lines.push(
      ...made,
      ...(s.init === 0 ? [] : [`${store}.fill(${lit(s.init)});`]),
      ...(define ? [define] : []),
    );
  }
  lines.push("Object.freeze($state);");
  return lines;
}

/** Every materialized tensor that is not a param or state. */
export function bufferNodes(plan: Plan): Node[] {
  return plan.all.filter(
    (n) =>
      !isScalar(n.shape) &&
      n.op !== "param" &&
      n.op !== "state" &&
      !plan.fused.has(n) &&
      !plan.alias.has(n),
  );
}

export function buffers(plan: Plan, memory: MemoryPlan): string[] {
  const nodes = bufferNodes(plan);
  const lines = ["// buffers"];
  // owners first: the buffers that share memory are views of their owner's start
  const ordered = [
    ...nodes.filter((n) => !memory.owner.has(n)),
    ...nodes.filter((n) => memory.owner.has(n)),
  ];
  const dynamic = ordered.filter((n) => !plan.isStatic(n.shape));
  for (const n of ordered) {
    const o = memory.owner.get(n);
    const shares = o ? ` // shares memory with ${plan.nameOf(o)}` : "";
    lines.push(
      !plan.isStatic(n.shape)
        ? `let ${plan.nameOf(n)} = new ${plan.arrayOf(n)}(0);${shares}`
        : o
          ? `const ${plan.nameOf(n)} = ${plan.nameOf(o)}.subarray(0, ${plan.size(n.shape)});${shares}`
          : `const ${plan.nameOf(n)} = new ${plan.arrayOf(n)}(${plan.size(n.shape)});`,
    );
  }
  if (plan.dimVars.size === 0) return lines;
  const fits = [...plan.dimVars].map(([d, v]) => `${v} <= ${plan.capVars.get(d)}`).join(" && ");
  const grow = (n: Node) => {
    const o = memory.owner.get(n);
    const size = plan.size(n.shape, true);
    return o
      ? `  ${plan.nameOf(n)} = ${plan.nameOf(o)}.subarray(0, ${size});`
      : `  ${plan.nameOf(n)} = new ${plan.arrayOf(n)}(${size});`;
  };
  // one array, not lines.push(...): a model may have 100,000 buffers and more
  return [
    ...lines,
    "/** Grows the buffers whose size depends on a named dim when a larger size arrives. */",
    "function $ensure() {",
    `  if (${fits}) return;`,
    ...[...plan.dimVars].map(([d, v]) => {
      const cap = plan.capVars.get(d)!;
      return `  ${cap} = Math.max(${cap}, ${v});`;
    }),
    ...dynamic.map(grow),
    "}",
  ];
}
