# The PyTorch side of experiments 9 and 10 (scripts/experiments/sequences.ts): models/makemore.nn
# and models/gpt.nn translated by hand, trained from nnc's initial weights (nnc init) on the very
# batches nnc trained on, in nnc's order, at nnc's learning rate of each step, with nnc's update
# rules written out (SGD's velocity v = m v - lr g, p += v; AdamW with bias corrections), in
# float32 on one thread. Prints one line of JSON: the loss of every step, the held-out loss at
# nnc's checkpoints, ten samples and the seconds the steps took.
#
#   /usr/bin/python3 scripts/experiments/sequences.py RUN.json
import json
import struct
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

torch.set_num_threads(1)


def read_safetensors(path):
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8 : 8 + n])
    body = data[8 + n :]
    tensors = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        begin, end = info["data_offsets"]
        dtype = {"F32": np.float32, "F64": np.float64}[info["dtype"]]
        array = np.frombuffer(body[begin:end], dtype=dtype).reshape(info["shape"])
        tensors[name] = torch.tensor(array.astype(np.float32))
    return tensors


def ints(path, width):
    return torch.from_numpy(np.fromfile(path, dtype=np.int32).astype(np.int64)).view(-1, width)


# models/makemore.nn: e = ctx |> embedding(27, 10); h = reshape(e, [batch, 30]) |> dense(200)
# |> batchnorm |> tanh; z = h |> dense(27); batchnorm's running statistics move by 0.1 of the
# batch's mean and (biased) variance, as nnc's batchnorm(momentum: 0.9) does.
def makemore(P, S, x, train):
    e = P["e.W"][x].reshape(x.shape[0], -1)
    h = e @ P["h.dense.W"] + P["h.dense.b"]
    if train:
        mu = h.mean(0)
        var = ((h - mu) ** 2).mean(0)
        with torch.no_grad():
            S["h.batchnorm.running_mean"].mul_(0.9).add_(0.1 * mu)
            S["h.batchnorm.running_var"].mul_(0.9).add_(0.1 * var)
    else:
        mu, var = S["h.batchnorm.running_mean"], S["h.batchnorm.running_var"]
    h = P["h.batchnorm.gamma"] * (h - mu) / torch.sqrt(var + 1e-5) + P["h.batchnorm.beta"]
    return torch.tanh(h) @ P["z.W"] + P["z.b"]


def layernorm(x, gamma, beta):
    mu = x.mean(-1, keepdim=True)
    var = ((x - mu) ** 2).mean(-1, keepdim=True)
    return gamma * (x - mu) / torch.sqrt(var + 1e-5) + beta


def dense(P, name, x):
    return x @ P[name + ".W"] + P[name + ".b"]


def attention(P, pre, x):
    B, T, C = x.shape
    heads = lambda t: t.view(B, T, 4, C // 4).transpose(1, 2)  # [B, head, T, 16]
    q, k, v = (heads(dense(P, f"{pre}.{n}", x)) for n in "qkv")
    s = q @ k.transpose(-1, -2) / 4
    s = s.masked_fill(torch.triu(torch.ones(T, T, dtype=torch.bool), 1), float("-inf"))
    o = (F.softmax(s, -1) @ v).transpose(1, 2).reshape(B, T, C)
    return dense(P, pre, o)


def mlp(P, pre, x):
    h = F.gelu(dense(P, pre + ".dense0", x), approximate="tanh")
    return dense(P, pre + ".dense1", h)


# models/gpt.nn: 4 pre-norm blocks, a final layernorm, the head tied to the token embedding
def gpt(P, S, idx, train):
    T = idx.shape[1]
    x = P["wte"][idx] + P["wpe"][:T]
    for i in range(1, 9):
        block = attention if i % 2 == 1 else mlp
        name = f"x{i}.attention" if i % 2 == 1 else f"x{i}.mlp"
        ln = layernorm(x, P[f"x{i}.layernorm.gamma"], P[f"x{i}.layernorm.beta"])
        x = x + block(P, name, ln)
    return layernorm(x, P["z.gamma"], P["z.beta"]) @ P["wte"].t()


def loss_of(logits, y):
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1))


class Optimizer:
    """nnc's update rules, as src/codegen/js/optim.ts writes them."""

    def __init__(self, params, spec):
        self.params, self.spec, self.step = params, spec, 0
        self.slots = {n: (torch.zeros_like(p), torch.zeros_like(p)) for n, p in params.items()}

    @torch.no_grad()
    def update(self, lr):
        o = self.spec
        self.step += 1
        for name, p in self.params.items():
            g = p.grad
            a, b = self.slots[name]
            if o["kind"] == "sgd":
                a.mul_(o["momentum"]).sub_(lr * g)
                p.add_(a)
            elif o["kind"] in ("adam", "adamw"):
                c1 = 1 - o["beta1"] ** self.step
                c2 = 1 - o["beta2"] ** self.step
                if o["kind"] == "adamw" and name in o["decay_params"]:
                    p.sub_(lr * o["weight_decay"] * p)
                a.mul_(o["beta1"]).add_((1 - o["beta1"]) * g)
                b.mul_(o["beta2"]).add_((1 - o["beta2"]) * g * g)
                p.sub_(lr * (a / c1) / (torch.sqrt(b / c2) + o["eps"]))
            else:
                raise ValueError(f"no update rule for {o['kind']}")
            p.grad = None


@torch.no_grad()
def held_out(model, P, S, x, y, chunk):
    total = 0.0
    for i in range(0, x.shape[0], chunk):
        logits = model(P, S, x[i : i + chunk], False)
        total += loss_of(logits, y[i : i + chunk]).item() * logits[..., 0].numel()
    return total / y.numel()


@torch.no_grad()
def samples(model, P, S, context, kind, count, seed):
    g = torch.Generator().manual_seed(seed)
    words = []
    for _ in range(count):
        seq = [0]
        while len(seq) < 100:
            if kind == "next":
                ctx = ([0] * context + seq)[-context:]
                logits = model(P, S, torch.tensor([ctx]), False)[0]
            else:  # the last T characters so far, from position 0 (nanoGPT's generate)
                logits = model(P, S, torch.tensor([seq[-context:]]), False)[0, -1]
            c = torch.multinomial(F.softmax(logits, -1), 1, generator=g).item()
            if c == 0:
                break
            seq.append(c)
        words.append("".join(".abcdefghijklmnopqrstuvwxyz"[c] for c in seq[1:]))
    return words


def main(path):
    run = json.load(open(path))
    model = {"makemore": makemore, "gpt": gpt}[run["model"]]
    weights = read_safetensors(run["init"])
    P = {n: weights[n].clone().requires_grad_(True) for n in run["params"]}
    S = {n: weights[n].clone() for n in run["state"]}
    k, yw, B = run["context"], run["target_width"], run["batch"]
    xs, ys = ints(run["train_x"], k), ints(run["train_y"], yw)
    vx, vy = ints(run["val_x"], k), ints(run["val_y"], yw)
    opt = Optimizer(P, run["optimizer"])
    losses, held, seconds = [], {}, 0.0
    held[0] = held_out(model, P, S, vx, vy, run["chunk"])
    for step, lr in enumerate(run["rates"]):
        began = time.perf_counter()
        x, y = xs[step * B : (step + 1) * B], ys[step * B : (step + 1) * B]
        loss = loss_of(model(P, S, x, True), y.squeeze(-1) if yw == 1 else y)
        loss.backward()
        opt.update(lr)
        seconds += time.perf_counter() - began
        losses.append(loss.item())
        if step + 1 in run["checkpoints"]:
            held[step + 1] = held_out(model, P, S, vx, vy, run["chunk"])
    kind = "next" if yw == 1 else "shifted"
    words = samples(model, P, S, k, kind, run["samples"], run["seed"])
    print(json.dumps({"losses": losses, "held_out": held, "samples": words, "seconds": seconds}))


if __name__ == "__main__":
    main(sys.argv[1])
