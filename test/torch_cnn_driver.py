"""The PyTorch side of test/torch-cnn.test.ts: builds each network of a spec by hand from torch's
own functions (not from nnc's export) and gives its loss and gradients in f64. Reads a JSON list
of jobs {"net": spec, "params": {name: {"shape", "data"}}, "x": feed, "y": feed}; prints a JSON
list of {"loss", "grads": {param: values}, "x": values, "ties": windows of a max pool whose
maximum is there more than once}.

A spec is {"layers": [...], "head": {...}}; each layer has a "kind" (conv, pool, batchnorm, act,
transpose, dense) and a "name", the .nn binding whose params are NAME.W, NAME.b, NAME.gamma and
NAME.beta."""

import json
import math
import sys

import torch
import torch.nn.functional as F


def same_sides(n, k, s, d):
    """TensorFlow's "same": ceil(n / s) outputs, the padding split with the extra cell last."""
    span = d * (k - 1) + 1
    total = max((-(-n // s) - 1) * s + span - n, 0)
    return total // 2, total - total // 2


def sides(x, layer, dilation):
    """(left, right, top, bottom) for F.pad."""
    if layer["padding"] != "same":
        t, l, b, r = layer["padding"]
        return l, r, t, b
    k, s = layer["kernel"], layer["stride"]
    (t, b), (l, r) = [same_sides(x.shape[2 + a], k[a], s[a], dilation[a]) for a in (0, 1)]
    return l, r, t, b


def conv(x, layer, p):
    w, b = p[layer["name"] + ".W"], p.get(layer["name"] + ".b")
    stride, dilation, groups = tuple(layer["stride"]), tuple(layer["dilation"]), layer["groups"]
    if layer["padding"] == "same" and stride == (1, 1):
        return F.conv2d(x, w, b, padding="same", dilation=dilation, groups=groups)
    x = F.pad(x, sides(x, layer, dilation))
    return F.conv2d(x, w, b, stride=stride, dilation=dilation, groups=groups)


def ties(x, k, s):
    """How many windows of x (padded already) hold their maximum more than once."""
    cols = F.unfold(x, k, stride=s)
    cols = cols.reshape(x.shape[0], x.shape[1], k[0] * k[1], -1)
    top = cols.max(dim=2, keepdim=True).values
    return int(((cols == top).sum(dim=2) > 1).sum())


def pool(x, layer, found):
    k, s = tuple(layer["kernel"]), tuple(layer["stride"])
    if layer["op"] == "avg":
        t, l, _, _ = layer["padding"]
        return F.avg_pool2d(x, k, s, padding=(t, l), count_include_pad=False)
    x = F.pad(x, sides(x, layer, (1, 1)), value=-math.inf)
    found.append(ties(x, k, s))
    return F.max_pool2d(x, k, s)


def layer_out(x, layer, p, found):
    kind, name = layer["kind"], layer["name"]
    if kind == "conv":
        return conv(x, layer, p)
    if kind == "pool":
        return pool(x, layer, found)
    if kind == "batchnorm":
        c = x.shape[1]
        stats = torch.zeros(c, dtype=x.dtype), torch.ones(c, dtype=x.dtype)
        return F.batch_norm(x, *stats, p[name + ".gamma"], p[name + ".beta"], training=True, eps=1e-5)
    if kind == "act":
        return torch.relu(x) if layer["fn"] == "relu" else torch.tanh(x)
    if kind == "transpose":
        return x.permute(layer["perm"])
    if kind == "dense":
        return torch.matmul(x, p[name + ".W"]) + p[name + ".b"]
    raise ValueError(kind)


def head(x, spec, p):
    h = spec["head"]
    if h["kind"] == "gap":
        x = F.adaptive_avg_pool2d(x, 1).flatten(1)
    elif h["kind"] == "rows":
        rows = x.reshape(x.shape[0], x.shape[1], -1)
        x = (torch.matmul(rows, p["r.W"]) + p["r.b"]).flatten(1)
    else:
        x = x.flatten(1)
    return x @ p["z.W"] + p["z.b"]


def tensor(feed):
    return torch.tensor(feed["data"], dtype=torch.float64).reshape(feed["shape"])


def run(job):
    p = {k: tensor(v).requires_grad_() for k, v in job["params"].items()}
    x = tensor(job["x"]).requires_grad_()
    found = []
    h = x
    for layer in job["net"]["layers"]:
        h = layer_out(h, layer, p, found)
    loss = F.cross_entropy(head(h, job["net"], p), tensor(job["y"]))
    loss.backward()
    flat = lambda t: t.grad.reshape(-1).tolist()
    grads = {k: flat(v) for k, v in p.items()}
    return {"loss": loss.item(), "grads": grads, "x": flat(x), "ties": sum(found)}


def main():
    with open(sys.argv[1]) as f:
        jobs = json.load(f)
    torch.set_num_threads(1)
    json.dump([run(job) for job in jobs], sys.stdout)


if __name__ == "__main__":
    main()
