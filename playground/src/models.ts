// Every model file of the repository's models/ folder, as text, for the picker.

const files = import.meta.glob("../../models/**/*.nn", {
  query: "?raw",
  import: "default",
  eager: true,
}) as Record<string, string>;

export interface ModelFile {
  /** `models/xor.nn` */
  path: string;
  source: string;
}

/** models/ first, then its folders (experiments/), each by name. */
export const modelFiles: ModelFile[] = Object.entries(files)
  .map(([key, source]) => ({ path: key.replace(/^(\.\.\/)+/, ""), source }))
  .sort((a, b) => depth(a.path) - depth(b.path) || a.path.localeCompare(b.path));

function depth(path: string): number {
  return path.split("/").length;
}

/** The names of the models a source defines, in order. */
export function modelNames(source: string): string[] {
  return [...source.matchAll(/^[ \t]*model[ \t]+([A-Za-z_][A-Za-z0-9_]*)/gm)].map((m) => m[1]!);
}

export function modelFile(path: string): ModelFile | undefined {
  return modelFiles.find((f) => f.path === path);
}

/** The file of models/ whose text is exactly `source`, if any. */
export function fileWithSource(source: string): ModelFile | undefined {
  return modelFiles.find((f) => f.source === source);
}
