// Formatting generated code with prettier for people to read.
import * as prettier from "prettier";

export async function formatJs(code: string): Promise<string> {
  try {
    return await prettier.format(code, { parser: "babel", printWidth: 100 });
  } catch {
    return code; // formatting is a courtesy; the code is valid either way
  }
}

export async function formatTs(code: string): Promise<string> {
  try {
    return await prettier.format(code, { parser: "typescript", printWidth: 100 });
  } catch {
    return code;
  }
}
