"""Runs exported torch modules for the export tests, many cases in one process (importing torch
takes seconds). Reads a JSON list of jobs, prints a JSON list of results, one per job:

  {"module": path, "weights": path, "forward": feed, "loss": feed, "train": [feed, ...]}

gives {"forward": {output: values}, "loss": x, "grads": {param: values}} computed in f64 (the
gradients by torch.autograd), and for "train", {"trained": {"f32": values, "f64": values}}: the
params and state after train_step on each feed, in f32 and in f64, at the rate "lrs" gives each
step if the job has it. For "lr_at": {"at": [step, ...], "steps": n, "steps_per_epoch": m}, the
model's lr_at(step, n, m) at each step, and lr_at(3) without the run (its value, or the error of a
schedule that needs the run). For "eval": a feed, {"eval_loss": x}, the inference-mode loss of
the model (in f64, after "train" if the job has it), and "save": a path, where the model saves its
weights last. A feed is {name: {"shape": [...], "data": [...]}}."""

import importlib.util
import json
import sys

import torch


def load(path, index):
    spec = importlib.util.spec_from_file_location(f"exported_{index}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def tensors(feed, dtype):
    return {k: torch.tensor(v["data"], dtype=dtype).reshape(v["shape"]) for k, v in feed.items()}


def flat(t):
    return t.detach().reshape(-1).tolist()


def run(job, index):
    module = load(job["module"], index)
    result = {}
    model = module.Model().double()
    model.load_weights(job["weights"])
    model.eval()  # the loss does not update the running statistics here
    if "forward" in job:
        # forward itself: model(...) is nn.Module.__call__, whose own first argument is `self`
        result["forward"] = {k: flat(v) for k, v in model.forward(**tensors(job["forward"], torch.float64)).items()}
    if "loss" in job:
        loss = model.loss(**tensors(job["loss"], torch.float64))
        if loss.requires_grad:  # not where the op passes no gradient (gt0, sign, ...)
            loss.backward()
        result["loss"] = loss.item()
        result["grads"] = {k: flat(p.grad) if p.grad is not None else None for k, p in model.nn_params().items()}
    if "train" in job:
        result["trained"] = {}
        for name, dtype in (("f32", torch.float32), ("f64", torch.float64)):
            model = module.Model().to(dtype)
            model.load_weights(job["weights"])
            losses = []
            for k, feed in enumerate(job["train"]):
                if "lrs" in job:
                    model.set_learning_rate(job["lrs"][k])
                losses.append(model.train_step(**tensors(feed, dtype)).item())
            values = {k: flat(v) for k, v in {**model.nn_params(), **model.nn_state()}.items()}
            result["trained"][name] = {"losses": losses, "values": values}
    if "lr_at" in job:
        run = job["lr_at"]
        result["lr_at"] = [model.lr_at(k, run["steps"], run["steps_per_epoch"]) for k in run["at"]]
        try:
            result["lr_at_bare"] = {"value": model.lr_at(3)}
        except Exception as e:  # the test expects a ValueError that names what is missing
            result["lr_at_bare"] = {"error": f"{type(e).__name__}: {e}"}
    if "eval" in job:
        with torch.no_grad():
            result["eval_loss"] = model.eval_loss(**tensors(job["eval"], torch.float64)).item()
    if "save" in job:
        model.save_weights(job["save"])
    return result


def main():
    with open(sys.argv[1]) as f:
        jobs = json.load(f)
    torch.set_num_threads(1)
    json.dump([run(job, i) for i, job in enumerate(jobs)], sys.stdout)


if __name__ == "__main__":
    main()
