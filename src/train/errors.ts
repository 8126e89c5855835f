// Errors about data, weight files and training, in the compiler's format: `FILE:LINE:COL: error
// NNxxxx: message`, with the offending line of a text file and a caret where it helps.
import { NnError, type At, type Code } from "../diagnostics.ts";

/** Lines longer than this (a row of 785 pixels) are not echoed under the message. */
const echoLimit = 160;

export function dataError(code: Code, at: At, message: string, lineText = ""): NnError {
  const text = lineText.length <= echoLimit ? lineText : "";
  const source = text ? "\n".repeat(Math.max(0, at.line - 1)) + text : "";
  return new NnError([{ file: at.file, line: at.line, col: at.col, code, message }], source);
}
