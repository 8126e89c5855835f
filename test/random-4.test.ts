// Random small models, compiled for both targets, fused and unfused, with their gradients checked:
// part 4 of 4 of the seeds (test/random/suite.ts; the generator is test/random/sample.ts).
import { describe } from "vitest";
import { randomModels } from "./random/suite.ts";

describe("random models", () => randomModels(3));
