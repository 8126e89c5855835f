// CSV data: a header row of column names, then one example per line, numbers separated by commas.
// Every problem is an error naming the file, line and column; nothing becomes NaN silently. This
// module parses text (it runs in a browser too); src/train/files.ts reads the files.
import { dataError } from "./errors.ts";
import type { Table } from "./data.ts";

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
const numberPattern = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** Parses CSV text (`file` names it in errors): a header row, then rows of numbers. */
export function parseCsv(text: string, file: string): Table {
  const lines = text.replace(/^\uFEFF/, "").split(/\r?\n/);
  const at = (line: number, col = 1) => ({ file, line, col });
  const first = lines.findIndex((l) => l.trim() !== "");
  if (first < 0)
    throw dataError(
      "NN6002",
      at(1),
      "the file is empty; expected a header row, then rows of numbers",
    );
  const headerCells = cells(lines[first]!);
  const header = headerCells.map((c) => unquote(c.text));
  if (headerCells.every((c) => numberPattern.test(c.text)))
    throw dataError(
      "NN6006",
      at(first + 1),
      "the first line should be a header of column names, but it holds only numbers; add a line of names above it",
      lines[first],
    );
  const columns = header.length;
  const values: number[] = [];
  const rowLines: number[] = [];
  for (let i = first + 1; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.trim() === "") continue;
    const row = cells(line);
    if (row.length !== columns) {
      const col = row.length > columns ? row[columns]!.col : line.length + 1;
      throw dataError(
        "NN6003",
        at(i + 1, col),
        `this row has ${row.length} column${row.length === 1 ? "" : "s"}, the header has ${columns}`,
        line,
      );
    }
    for (let j = 0; j < columns; j++) {
      const c = row[j]!;
      const value = Number(c.text);
      if (!numberPattern.test(c.text) || !Number.isFinite(value))
        throw dataError(
          "NN6004",
          at(i + 1, c.col),
          `column ${j + 1} (${header[j] || "unnamed"}) ${c.text === "" ? "is empty" : `is \`${c.text}\``}; ` +
            "expected a finite number",
          line,
        );
      values.push(value);
    }
    rowLines.push(i + 1);
  }
  if (rowLines.length === 0)
    throw dataError("NN6002", at(first + 2), "no rows of data after the header");
  return {
    file,
    header,
    columns,
    rows: rowLines.length,
    values: Float64Array.from(values),
    lines: Int32Array.from(rowLines),
  };
}
