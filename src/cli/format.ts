// Formatting generated code with prettier for people to read. Prettier is loaded on first use, so
// that only the commands that print or write code pay for it (the library never loads it).
type Parser = "babel" | "typescript";

async function format(code: string, parser: Parser): Promise<string> {
  try {
    const prettier = await import("prettier");
    return await prettier.format(code, { parser, printWidth: 100 });
  } catch {
    return code; // formatting is a courtesy; the code is valid either way
  }
}

export const formatJs = (code: string): Promise<string> => format(code, "babel");
export const formatTs = (code: string): Promise<string> => format(code, "typescript");
