// CSV data: a header row of column names, then one example per line, numbers separated by commas.
// Every problem is an error naming the file, line and column; nothing becomes NaN silently. This
// module parses text (it runs in a browser too); src/train/files.ts reads the files.
import { cellName, dataError } from "./errors.ts";
import type { Table } from "./data.ts";

export interface CsvOptions {
  /** the largest magnitude a value may have: float32's for an f32 model (default: any finite) */
  limit?: number;
}

interface Cell {
  text: string;
  col: number;
}

/** Splits a line at commas; `col` is each cell's 1-based column in the line. */
function cells(line: string): Cell[] {
  const out: Cell[] = [];
  let start = 0;
  for (let i = 0; i <= line.length; i++) {
    if (i === line.length || line[i] === ",") {
      const raw = line.slice(start, i);
      const lead = raw.length - raw.trimStart().length;
      out.push({ text: raw.trim(), col: start + lead + 1 });
      start = i + 1;
    }
  }
  return out;
}

const unquote = (s: string) =>
  s.length >= 2 && s.startsWith('"') && s.endsWith('"') ? s.slice(1, -1) : s;

/** A plain decimal number: `1`, `-0.5`, `3e-4`; not `0x1f`, `Infinity` or an empty cell. */
export const numberPattern = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** Lines end at "\n", "\r\n" or a lone "\r". */
export const lineEnd = /\r\n|\r|\n/;

/**
 * What reading a CSV file can say, each message a function of its parts (already written out):
 * nnc fills them here, and train_ddp.py fills the same (src/export/ddp-data.ts).
 */
export const csvMessages = {
  noSuchFile: "no such file",
  unreadable: (reason: string) => `cannot read the file (${reason})`,
  empty: "the file is empty; expected a header row, then rows of numbers",
  noHeader:
    "the first line should be a header of column names, but it holds only numbers; add a line of names above it",
  noRows: "no rows of data after the header",
  /** `count`: `1 column`, `3 columns` (plural) */
  rowColumns: (count: string, header: string) => `this row has ${count}, the header has ${header}`,
  notNumber: (cell: string, what: string) => `${cell} ${what}; expected a finite number`,
  isEmpty: "is empty",
  isText: (text: string) => `is \`${text}\``,
  beyondF32: (cell: string, text: string, range: string) =>
    `${cell} is ${text}, beyond float32's range (±${range}) of this f32 model; compile with ` +
    "--dtype f64 or rescale the data",
};

/** `1 column`, `2 columns`. */
export const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;

/** Parses CSV text (`file` names it in errors): a header row, then rows of numbers. */
export function parseCsv(text: string, file: string, options: CsvOptions = {}): Table {
  const lines = text.replace(/^\uFEFF/, "").split(lineEnd);
  const limit = options.limit ?? Infinity;
  const at = (line: number, col = 1) => ({ file, line, col });
  const first = lines.findIndex((l) => l.trim() !== "");
  if (first < 0) throw dataError("NN6002", at(1), csvMessages.empty);
  const headerCells = cells(lines[first]!);
  const header = headerCells.map((c) => unquote(c.text));
  if (headerCells.every((c) => numberPattern.test(c.text)))
    throw dataError("NN6006", at(first + 1), csvMessages.noHeader, lines[first]);
  const columns = header.length;
  const values: number[] = [];
  const rowLines: number[] = [];
  for (let i = first + 1; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.trim() === "") continue;
    const row = cells(line);
    if (row.length !== columns) {
      const col = row.length > columns ? row[columns]!.col : line.length + 1;
      const message = csvMessages.rowColumns(plural(row.length, "column"), String(columns));
      throw dataError("NN6003", at(i + 1, col), message, line);
    }
    for (let j = 0; j < columns; j++) {
      const c = row[j]!;
      const text = unquote(c.text).trim();
      const value = Number(text);
      const name = cellName(header, j);
      if (!numberPattern.test(text) || !Number.isFinite(value)) {
        const what = c.text === "" ? csvMessages.isEmpty : csvMessages.isText(c.text);
        throw dataError("NN6004", at(i + 1, c.col), csvMessages.notNumber(name, what), line);
      }
      if (Math.abs(value) > limit) {
        const message = csvMessages.beyondF32(name, text, limit.toPrecision(3));
        throw dataError("NN6008", at(i + 1, c.col), message, line);
      }
      values.push(value);
    }
    rowLines.push(i + 1);
  }
  if (rowLines.length === 0) throw dataError("NN6002", at(first + 2), csvMessages.noRows);
  return {
    file,
    header,
    columns,
    rows: rowLines.length,
    values: Float64Array.from(values),
    lines: Int32Array.from(rowLines),
    cell: (r, j) => {
      const line = rowLines[r]!;
      const text = lines[line - 1]!;
      return { line, col: cells(text)[j]?.col ?? 1, text };
    },
  };
}
