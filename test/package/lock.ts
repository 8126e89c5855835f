// A lockfile for a fresh project that depends on the packed tarball: the tarball by path and
// integrity, and nnc's runtime dependencies exactly as this checkout's lockfile has them, so that
// `npm ci --offline` installs everything from the npm cache that `npm ci` filled, with no network.

export interface Manifest {
  version: string;
  license: string;
  dependencies: Record<string, string>;
  bin: Record<string, string>;
  engines: Record<string, string>;
}

type Entry = Record<string, unknown> & { dependencies?: Record<string, string> };
interface Lock {
  packages: Record<string, Entry>;
}

/** Where node would find `name` from the package at `from`: nested first, then hoisted. */
function locate(lock: Lock, name: string, from: string): string {
  for (let at = from; ; at = at.slice(0, Math.max(0, at.lastIndexOf("/node_modules/")))) {
    const path = `${at ? `${at}/` : ""}node_modules/${name}`;
    if (lock.packages[path]) return path;
    if (!at) throw new Error(`${name} (needed by ${from || "nnc"}) is not in package-lock.json`);
  }
}

/** The lock entries of `deps` and everything they need, without the dev/peer markers. */
function closure(lock: Lock, deps: Record<string, string>): Record<string, Entry> {
  const out: Record<string, Entry> = {};
  const visit = (names: Record<string, string> | undefined, from: string) => {
    for (const name of Object.keys(names ?? {})) {
      const path = locate(lock, name, from);
      if (out[path]) continue;
      const { dev: _d, devOptional: _o, peer: _p, ...entry } = lock.packages[path]!;
      out[path] = entry;
      visit(entry.dependencies, path);
    }
  };
  visit(deps, "");
  return out;
}

export function consumerLock(manifest: Manifest, lock: Lock, tarball: string, integrity: string) {
  const dependencies = { nnc: `file:${tarball}` };
  const pkg = { name: "consumer", private: true, type: "module", dependencies };
  const nnc: Entry = {
    version: manifest.version,
    resolved: `file:${tarball}`,
    integrity,
    license: manifest.license,
    dependencies: manifest.dependencies,
    bin: manifest.bin,
    engines: manifest.engines,
  };
  const packages = {
    "": { name: "consumer", dependencies },
    "node_modules/nnc": nnc,
    ...closure(lock, manifest.dependencies),
  };
  return { pkg, lock: { name: "consumer", lockfileVersion: 3, requires: true, packages } };
}
