"""The PyTorch side of test/torch-sequence.test.ts: makemore.nn and gpt.nn written by hand in
torch (not nnc's export), trained for a few steps from nnc's initial weights, in f64 and in f32.

Reads a JSON job {"model": "makemore" | "gpt", "weights": path, "batches": [feed, ...], "lr": x,
"out": path}, a feed being {name: {"shape": [...], "data": [...]}}. Writes a safetensors file at
"out" with, for each dtype D (f64, f32) and step K (1, 2, ...): D/K/loss, and D/K/grad/NAME,
D/K/param/NAME (after the step), D/K/state/NAME (batchnorm's running statistics) and
D/K/slot/NAME.ROLE (the optimizer's state after the step, in nnc's terms: adam's m and v, and
momentum's velocity, which is -lr times torch's momentum buffer at a constant rate).

The names are nnc's: `h.dense.W` is makemore's hidden layer, `x1.attention.q.W` the query of the
first block's attention, `x2.mlp.dense0.W` its MLP's first layer, `z.gamma` gpt's final layernorm.
Weights are [in, out]: a dense layer is x @ W + b."""

import json
import struct
import sys

import torch
import torch.nn.functional as F

_DTYPES = {"F32": torch.float32, "F64": torch.float64}


def read_safetensors(path):
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8 : 8 + n])
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        begin, end = info["data_offsets"]
        raw = bytearray(data[8 + n + begin : 8 + n + end])
        out[name] = torch.frombuffer(raw, dtype=_DTYPES[info["dtype"]]).reshape(info["shape"]).clone()
    return out


def write_safetensors(path, tensors):
    header, blobs, offset = {}, [], 0
    for name, t in tensors.items():
        t = t.detach().contiguous()
        blob = t.numpy().tobytes()
        dtype = "F64" if t.dtype == torch.float64 else "F32"
        header[name] = {"dtype": dtype, "shape": list(t.shape), "data_offsets": [offset, offset + len(blob)]}
        blobs.append(blob)
        offset += len(blob)
    text = json.dumps(header).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text)
        for blob in blobs:
            f.write(blob)


def dense(x, p, name):
    return x @ p[name + ".W"] + p[name + ".b"]


def makemore(p, state, feed):
    """Bengio et al. 2003 with batchnorm (makemore part 3): embed 3 characters, concatenate, a
    hidden layer normalized by the batch's statistics, tanh, logits. The running statistics move
    0.1 of the way to the batch's mean and biased variance (the variance the batch is normalized
    by), as nnc's batchnorm keeps them."""
    ctx, nxt = feed["ctx"], feed["next"]
    e = F.embedding(ctx, p["e.W"]).reshape(ctx.shape[0], -1)
    pre = dense(e, p, "h.dense")
    mean = pre.mean(0)
    var = pre.var(0, unbiased=False)
    h = torch.tanh(F.batch_norm(pre, None, None, p["h.batchnorm.gamma"], p["h.batchnorm.beta"], True, 0.0, 1e-5))
    with torch.no_grad():
        for stat, batch in (("running_mean", mean), ("running_var", var)):
            s = state["h.batchnorm." + stat]
            s.copy_(0.9 * s + 0.1 * batch)
    return F.cross_entropy(dense(h, p, "z"), nxt)


def attention(x, p, name, heads=4):
    """Causal self-attention: queries, keys and values of `heads` heads, scores scaled by
    1/sqrt(head size), the upper triangle masked before the softmax."""
    B, T, C = x.shape
    split = lambda t: t.reshape(B, T, heads, C // heads).transpose(1, 2)
    q, k, v = (split(dense(x, p, f"{name}.{w}")) for w in "qkv")
    s = q @ k.transpose(-2, -1) / (C // heads) ** 0.5
    future = torch.triu(torch.ones(T, T, dtype=torch.bool), 1)
    a = torch.softmax(s.masked_fill(future, float("-inf")), dim=-1)
    o = (a @ v).transpose(1, 2).reshape(B, T, C)
    return dense(o, p, name)


def gpt(p, state, feed, layers=4):
    """GPT-2 as llm.c writes it: token and position embeddings, pre-norm blocks (layernorm,
    attention, residual; layernorm, dense 4C, gelu, dense C, residual), a final layernorm, and the
    logits through the token embedding (tied head). nnc names block i's two halves x(2i+1), x(2i+2)."""
    idx, nxt = feed["idx"], feed["next"]
    ln = lambda x, name: F.layer_norm(x, (x.shape[-1],), p[name + ".gamma"], p[name + ".beta"], 1e-5)
    x = F.embedding(idx, p["wte"]) + p["wpe"]
    for i in range(layers):
        a, m = f"x{2 * i + 1}", f"x{2 * i + 2}"
        x = x + attention(ln(x, a + ".layernorm"), p, a + ".attention")
        h = F.gelu(dense(ln(x, m + ".layernorm"), p, m + ".mlp.dense0"), approximate="tanh")
        x = x + dense(h, p, m + ".mlp.dense1")
    logits = ln(x, "z") @ p["wte"].T
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), nxt.reshape(-1))


MODELS = {"makemore": makemore, "gpt": gpt}
STATE = {"makemore": ("h.batchnorm.running_mean", "h.batchnorm.running_var"), "gpt": ()}


def train(job, weights, dtype, out, prefix):
    names = [n for n in weights if n not in STATE[job["model"]]]
    p = {n: weights[n].to(dtype).clone().requires_grad_() for n in names}
    state = {n: weights[n].to(dtype).clone() for n in STATE[job["model"]]}
    lr = job["lr"]
    if job["model"] == "gpt":
        opt = torch.optim.AdamW(p.values(), lr=lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=0)
        slots = lambda s: {"m": s["exp_avg"], "v": s["exp_avg_sq"]}
    else:
        opt = torch.optim.SGD(p.values(), lr=lr, momentum=0.9)
        slots = lambda s: {"velocity": -lr * s["momentum_buffer"]}
    for k, batch in enumerate(job["batches"], 1):
        feed = {n: torch.tensor(v["data"], dtype=torch.long).reshape(v["shape"]) for n, v in batch.items()}
        opt.zero_grad()
        loss = MODELS[job["model"]](p, state, feed)
        loss.backward()
        at = f"{prefix}/{k}"
        out[f"{at}/loss"] = loss.detach().reshape(1)
        for n, t in p.items():
            out[f"{at}/grad/{n}"] = t.grad.clone()
        opt.step()
        for n, t in p.items():
            out[f"{at}/param/{n}"] = t.detach().clone()
            for role, value in slots(opt.state[t]).items():
                out[f"{at}/slot/{n}.{role}"] = value.clone()
        for n, t in state.items():
            out[f"{at}/state/{n}"] = t.clone()


def main():
    with open(sys.argv[1]) as f:
        job = json.load(f)
    torch.set_num_threads(1)
    weights = read_safetensors(job["weights"])
    out = {}
    for prefix, dtype in (("f64", torch.float64), ("f32", torch.float32)):
        train(job, weights, dtype, out, prefix)
    write_safetensors(job["out"], out)


if __name__ == "__main__":
    main()
