"""The PyTorch contender of the sequence workloads (bench/contenders/pytorch.ts runs it).

models/gpt.nn and models/makemore.nn as PyTorch users write them (nn.Embedding, nn.Linear,
nn.LayerNorm, F.gelu(approximate="tanh"), causal attention spelled out as llm.c and nanoGPT's
reference path do, nn.BatchNorm1d, F.cross_entropy; torch.optim.AdamW and SGD with momentum), on
one thread, from nnc's initial weights and on the same batches, read from a safetensors file with
the standard library. The timing follows bench/common.ts's timeFor (pytorch_lenet.py's time_for).

usage: pytorch_sequence.py gpt|makemore FILE CONFIG_JSON; prints one line `RESULT {json}`.
"""

import json
import sys

import torch
import torch.nn.functional as F
from torch import nn

# (importing it sets torch to one thread)
sys.path.insert(0, __file__.rsplit("/", 1)[0])
from pytorch_lenet import read_safetensors, time_for  # noqa: E402


def dense(linear, w, name):
    """nnc's dense layer `name`: W [in, out] (a Linear's weight is [out, in]) and b."""
    linear.weight.copy_(w[name + ".W"].reshape(linear.in_features, linear.out_features).t())
    linear.bias.copy_(w[name + ".b"])


def norm(layer, w, name):
    layer.weight.copy_(w[name + ".gamma"])
    layer.bias.copy_(w[name + ".beta"])


class Block(nn.Module):
    """gpt.nn's pre-norm block: x + attention(layernorm(x)), then x + mlp(layernorm(x))."""

    def __init__(self, C, heads):
        super().__init__()
        self.heads = heads
        self.ln1, self.ln2 = nn.LayerNorm(C), nn.LayerNorm(C)
        self.q, self.k, self.v, self.proj = (nn.Linear(C, C) for _ in range(4))
        self.fc, self.fcproj = nn.Linear(C, 4 * C), nn.Linear(4 * C, C)

    def forward(self, x, mask):
        B, T, C = x.shape
        h = self.ln1(x)
        split = lambda t: t.view(B, T, self.heads, C // self.heads).transpose(1, 2)
        q, k, v = split(self.q(h)), split(self.k(h)), split(self.v(h))
        s = (q @ k.transpose(-2, -1)) / (C // self.heads) ** 0.5
        a = torch.softmax(s.masked_fill(mask, float("-inf")), dim=-1)
        x = x + self.proj((a @ v).transpose(1, 2).reshape(B, T, C))
        return x + self.fcproj(F.gelu(self.fc(self.ln2(x)), approximate="tanh"))

    def load_nnc(self, w, att, mlp):
        norm(self.ln1, w, att + ".layernorm")
        for mine, theirs in ((self.q, "q"), (self.k, "k"), (self.v, "v")):
            dense(mine, w, f"{att}.attention.{theirs}")
        dense(self.proj, w, att + ".attention")
        norm(self.ln2, w, mlp + ".layernorm")
        dense(self.fc, w, mlp + ".mlp.dense0")
        dense(self.fcproj, w, mlp + ".mlp.dense1")


class GPT(nn.Module):
    def __init__(self, V=27, T=16, C=64, layers=4, heads=4):
        super().__init__()
        self.wte = nn.Embedding(V, C)
        self.wpe = nn.Parameter(torch.zeros(T, C))
        self.blocks = nn.ModuleList(Block(C, heads) for _ in range(layers))
        self.lnf = nn.LayerNorm(C)
        self.register_buffer("mask", torch.ones(T, T, dtype=torch.bool).triu(1))

    def forward(self, idx, targets):
        x = self.wte(idx) + self.wpe
        for b in self.blocks:
            x = b(x, self.mask)
        logits = self.lnf(x) @ self.wte.weight.t()  # the head tied to the token embedding
        return F.cross_entropy(logits.view(-1, logits.shape[-1]), targets.view(-1))

    def load_nnc(self, w):
        self.wte.weight.copy_(w["wte"].view_as(self.wte.weight))
        self.wpe.copy_(w["wpe"].view_as(self.wpe))
        for l, b in enumerate(self.blocks):
            b.load_nnc(w, f"x{2 * l + 1}", f"x{2 * l + 2}")
        norm(self.lnf, w, "z")


class Makemore(nn.Module):
    """Bengio et al. 2003 with batchnorm, as makemore part 3 and models/makemore.nn."""

    def __init__(self, V=27, context=3, E=10, H=200):
        super().__init__()
        self.e = nn.Embedding(V, E)
        self.h, self.bn, self.z = nn.Linear(context * E, H), nn.BatchNorm1d(H), nn.Linear(H, V)

    def forward(self, ctx, targets):
        h = torch.tanh(self.bn(self.h(self.e(ctx).view(ctx.shape[0], -1))))
        return F.cross_entropy(self.z(h), targets)

    def load_nnc(self, w):
        self.e.weight.copy_(w["e.W"].view_as(self.e.weight))
        dense(self.h, w, "h.dense")
        norm(self.bn, w, "h.batchnorm")
        dense(self.z, w, "z")


def main():
    key, data, cfg = sys.argv[1], read_safetensors(sys.argv[2]), json.loads(sys.argv[3])
    batch, context = cfg["batch"], cfg["context"]
    result = {"contender": "pytorch", "reps": {}, "wallReps": {}}
    result["notes"] = [f"PyTorch {torch.__version__}, {torch.get_num_threads()} thread"]
    model = GPT() if key == "gpt" else Makemore()
    with torch.no_grad():
        model.load_nnc(data)
    if key == "gpt":
        opt = torch.optim.AdamW(model.parameters(), lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0)
    else:
        opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    batches = []
    for k in range(cfg["batches"]):
        x = data[f"input.{k}"].long().view(batch, context)
        y = data[f"target.{k}"].long().view(batch, -1) if key == "gpt" else data[f"target.{k}"].long()
        batches.append((x, y))
    step_no = [0]

    def step():
        x, y = batches[step_no[0] % len(batches)]
        step_no[0] += 1
        opt.zero_grad(set_to_none=True)
        loss = model(x, y)
        loss.backward()
        opt.step()
        return loss

    if cfg["first"]:
        result["losses"] = [float(step().item()) for _ in range(cfg["sanitySteps"])]
    cpu, wall = time_for(step, cfg["seconds"], cfg["reps"])
    result["reps"][key], result["wallReps"][key] = cpu, wall
    print("RESULT " + json.dumps(result))


main()
