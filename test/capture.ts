// Captures what the CLI writes to stdout and stderr during each test of the calling file.
import { afterEach, beforeEach, vi } from "vitest";

export interface Captured {
  out: string;
  err: string;
}

export function captureStdio(): Captured {
  const io: Captured = { out: "", err: "" };
  beforeEach(() => {
    io.out = "";
    io.err = "";
    vi.spyOn(process.stdout, "write").mockImplementation((chunk: unknown, cb?: unknown) => {
      io.out += String(chunk);
      if (typeof cb === "function") cb();
      return true;
    });
    vi.spyOn(process.stderr, "write").mockImplementation((chunk: unknown) => {
      io.err += String(chunk);
      return true;
    });
  });
  afterEach(() => vi.restoreAllMocks());
  return io;
}
