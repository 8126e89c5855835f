// Errors about data, weight files and training, in the compiler's format: `FILE:LINE:COL: error
// NNxxxx: message`, with the offending line of a text file and a caret where it helps.
import { NnError, type At, type Code } from "../diagnostics.ts";
import type { Table } from "./data.ts";

/** Lines longer than this (a row of 785 pixels) are not echoed under the message. */
export const echoLimit = 160;

export function dataError(code: Code, at: At, message: string, lineText = ""): NnError {
  const text = lineText.length <= echoLimit ? lineText : "";
  const source = text ? "\n".repeat(Math.max(0, at.line - 1)) + text : "";
  return new NnError([{ file: at.file, line: at.line, col: at.col, code, message }], source);
}

/** How a message names a cell, of its parts: `column 2 (x2)`. */
export const cellWords = (column: string, name: string) => `column ${column} (${name})`;

/** How a message names column j (0-based) of a table with this header. */
export const cellName = (header: readonly string[], j: number) =>
  cellWords(String(j + 1), header[j] || "unnamed");

/**
 * An error at cell (row r, column j) of a table: its line and column in the file (line only, col 1,
 * for a table that does not know its columns' places), the message after `column J (name) `.
 */
export function cellError(table: Table, r: number, j: number, code: Code, message: string) {
  const cell = table.cell?.(r, j) ?? { line: table.lines[r] ?? 1, col: 1, text: "" };
  const at = { file: table.file, line: cell.line, col: cell.col };
  return dataError(code, at, `${cellName(table.header, j)} ${message}`, cell.text);
}
