// The bad data of the trainer's tests, shared with test/export-ddp.test.ts, which runs each file
// through nnc train and through train_ddp.py: both must refuse it with the same words.

/** CSV text no model can read: [what, text, message, code, line, col] (as models/xor.nn's data). */
export const badCsv: [string, string, RegExp, string, number, number][] = [
  ["an empty file", "", /the file is empty/, "NN6002", 1, 1],
  ["blank lines only", "\n  \n", /the file is empty/, "NN6002", 1, 1],
  ["a header and no rows", "x1,x2,y\n", /no rows of data/, "NN6002", 2, 1],
  ["no header", "0,1,1\n1,1,0\n", /header of column names/, "NN6006", 1, 1],
  ["too few columns", "x1,x2,y\n0,1,1\n1,1\n", /has 2 columns, the header has 3/, "NN6003", 3, 4],
  ["too many columns", "x1,x2,y\n0,1,1,7\n", /has 4 columns, the header has 3/, "NN6003", 2, 7],
  [
    "a word",
    "x1,x2,y\n0,1,1\n1,abc,0\n",
    /column 2 \(x2\) is `abc`; expected a finite number/,
    "NN6004",
    3,
    3,
  ],
  ["an empty cell", "x1,x2,y\n0,,1\n", /column 2 \(x2\) is empty/, "NN6004", 2, 3],
  ["NaN", "x1,x2,y\nNaN,0,1\n", /is `NaN`/, "NN6004", 2, 1],
  ["an overflow", "x1,x2,y\n1e999,0,1\n", /is `1e999`/, "NN6004", 2, 1],
  ["hex", "x1,x2,y\n0x10,0,1\n", /is `0x10`/, "NN6004", 2, 1],
];

/** The models of badTargets, by name: models/NAME.nn. */
export type Fixture = "xor" | "softmax" | "moons";

/**
 * Targets that break their rule (train/labels.ts, targetRule): a class index (NN6007), or the
 * labels a loss reads (NN6050): [what, text, model, code, message, line, col].
 */
export const badTargets: [string, string, Fixture, string, RegExp, number, number][] = [
  [
    "a class index out of range",
    "a,b,class\n1,2,0\n3,4,3\n",
    "softmax",
    "NN6007",
    /column 3 \(class\) holds the class of `y`, an integer from 0 to 2; got 3/,
    3,
    5,
  ],
  [
    "a class index that is not an integer",
    "a,b,class\n1,2,0.5\n",
    "softmax",
    "NN6007",
    /an integer from 0 to 2; got 0\.5/,
    2,
    5,
  ],
  [
    "a bce target that is not 0 or 1",
    "x1,x2,y\n0,0,0\n0,1,1\n1,0,  2\n",
    "xor",
    "NN6050",
    /column 3 \(y\) is 2, but `y` is read by `bce` \(line 8\) as labels 0 or 1; write the two classes as 0 and 1 \(-1\/\+1 labels y become \(y \+ 1\) \/ 2\)/,
    4,
    7,
  ],
  [
    "a bce target of -1 (the SVM convention)",
    "x1,x2,y\n0,0,-1\n",
    "xor",
    "NN6050",
    /is -1, but `y` is read by `bce`/,
    2,
    5,
  ],
  [
    "a hinge target of 0 (the 0/1 convention)",
    "x1,x2,y\n0.5,0.25,1\n0.5,0.25,0\n",
    "moons",
    "NN6050",
    /column 3 \(y\) is 0, but `y` is read by `hinge` \(line \d+\) as labels -1 or \+1; write the two classes as -1 and \+1 \(0\/1 labels y become 2 \* y - 1\)/,
    3,
    10,
  ],
];

/** A model with fixed params, so that its predictions are known: s = x @ [1, 0] is x1. */
export const scorer = (body: string, target = "[batch, 1]") => `model m {
  input x: [batch, 2]
  target y: ${target}
  param w: [2, 1] = [1, 0]
  s = x @ w
${body}
}`;

/** p = x @ W with W = [[1, 0, 0], [0, 1, 0]]: the class is whichever of x1, x2, 0 is largest. */
export const three = (body: string, target: string) => `model m {
  input x: [batch, 2]
  target y: ${target}
  param W: [2, 3] = [1, 0, 0, 0, 1, 0]
  p = x @ W
  output p
${body}
}`;

/**
 * Targets that a loss or the metric cannot read as labels (NN6050): [what, source, text, message,
 * line].
 */
export const badLabels: [string, string, string, RegExp, number][] = [
  [
    "a hinge loss's target of 0",
    scorer("  output s\n  loss = mean(squared_hinge(s, y))"),
    "x1,x2,y\n1,0,1\n2,0,0\n",
    /column 3 \(y\) is 0, but `y` is read by `squared_hinge` \(line 7\) as labels -1 or \+1; write the two classes as -1 and \+1/,
    3,
  ],
  [
    "a metric's single-output target that is no label",
    scorer("  output s\n  loss = mean(mse(s, y))\n  metric = accuracy(s, y)"),
    "x1,x2,y\n1,0,1\n2,0,0\n3,0,2\n",
    /column 3 \(y\) is 2; accuracy needs labels 0\/1 or -1\/\+1 \(`metric = accuracy\(...\)`, line 8\)/,
    4,
  ],
  [
    "a metric's target mixing 0/1 and -1/+1",
    scorer("  output s\n  loss = mean(mse(s, y))\n  metric = accuracy(s, y)"),
    "x1,x2,y\n1,0,0\n2,0,1\n3,0,-1\n",
    /is -1 where other rows are 0/,
    4,
  ],
  [
    "a class index beyond the outputs",
    three(
      "  loss = mse(sum(p, axis: 1), sum(y, axis: 1))\n  metric = accuracy(p, y)",
      "[batch, 1]",
    ),
    "x1,x2,y\n1,0,0\n0,1,3\n",
    /column 3 \(y\) is 3, not a class index from 0 to 2/,
    3,
  ],
  [
    "a row that is not one-hot",
    three("  loss = mean(mse(p, y))\n  metric = accuracy(p, y)", "[batch, 3]"),
    "x1,x2,a,b,c\n1,0,1,0,0\n0,1,0.5,0.5,0\n",
    /column 3 \(a\) holds a row of `y` that is not one-hot/,
    3,
  ],
];
