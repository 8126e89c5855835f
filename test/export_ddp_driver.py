"""Runs the data checks of exported train_ddp.py scripts for test/export-ddp.test.ts, many cases
in one process (importing torch takes seconds). Reads a JSON list of jobs, prints a JSON list of
results, one per job:

  {"script": path, "data": path, "dtype": "f32" | "f64"} gives {"error": text} (the DataError as
  train_ddp.py prints it) or {"n": rows, "fields": {name: [row, ...]}};
  {"script": path, "numbers": [x, ...]} gives {"numbers": [js_number(x), ...]}.

Each script is imported as a module (its main() does not run), once."""

import importlib.util
import json
import sys

scripts = {}


def load(path):
    if path not in scripts:
        spec = importlib.util.spec_from_file_location(f"train_ddp_{len(scripts)}", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        scripts[path] = module
    return scripts[path]


def run(job):
    ddp = load(job["script"])
    if "numbers" in job:
        return {"numbers": [ddp.js_number(float(x)) for x in job["numbers"]]}
    try:
        fields, n = ddp.read_data(job["data"], job["dtype"])
    except ddp.DataError as e:
        return {"error": str(e)}
    return {"n": n, "fields": fields}


def main():
    with open(sys.argv[1]) as f:
        jobs = json.load(f)
    json.dump([run(job) for job in jobs], sys.stdout)


if __name__ == "__main__":
    main()
