// The library: `import { compile, NnError } from "nnc"`.
export { compile, type CompileOptions, type Compiled } from "./compile.ts";
export { NnError, formatDiagnostic, type Diagnostic } from "./diagnostics.ts";
export { checkGradients, type CheckRow } from "./check.ts";
