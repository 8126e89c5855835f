// `nnc export --format torch --ddp`: train_ddp.py beside the module, the same training as
// `nnc train` with torch.distributed (DistributedDataParallel; gloo on CPU, nccl on GPUs). It
// reads the CSV files nnc reads, holds out the same rows, shuffles in the same order (nnc's
// mulberry32 generator, reimplemented), steps as nnc's trainer does (setting the rate the
// model's lr_at gives before every step), and saves weights that `nnc eval --load` and `nnc
// train --load` read. Each step's global batch is split across the processes; every process
// scales its mean loss by its share, so that DDP's averaged gradient is the gradient of the
// whole batch's mean loss. It reads and checks the data as nnc train does (ddp-data.ts): the
// same bad data is refused with the same codes and messages, before any process joins; and as nnc
// train, it stops at a step whose loss or new params are not finite (NN7001), saving nothing.
import type { ModelIR } from "../ir/model.ts";
import { pyComment, pyString, pythonFile } from "../codegen/text.ts";
import { dataChecks } from "./ddp-data.ts";
import { ddpLaunch } from "./ddp-launch.ts";

const imports = `
import argparse
import importlib.util
import json
import math
import os
import re
import stat
import sys

import torch
import torch.distributed as dist
from torch import nn
from torch.nn.parallel import DistributedDataParallel
`;

const script = `
HERE = os.path.dirname(os.path.abspath(__file__))
_spec = importlib.util.spec_from_file_location("nnc_model", os.path.join(HERE, MODULE))
nnc_model = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(nnc_model)


def mulberry32(seed):
    """nnc's seeded generator: uniform numbers in [0, 1)."""
    a = seed & 0xFFFFFFFF

    def rand():
        nonlocal a
        a = (a + 0x6D2B79F5) & 0xFFFFFFFF
        t = a
        t = ((t ^ (t >> 15)) * (t | 1)) & 0xFFFFFFFF
        t ^= (t + (((t ^ (t >> 7)) * (t | 61)) & 0xFFFFFFFF)) & 0xFFFFFFFF
        return ((t ^ (t >> 14)) & 0xFFFFFFFF) / 4294967296

    return rand


def shuffle(order, rand):
    for i in range(len(order) - 1, 0, -1):
        j = int(rand() * (i + 1))
        order[i], order[j] = order[j], order[i]


def permutation(n, rand):
    order = list(range(n))
    shuffle(order, rand)
    return order


def tensors(fields, n):
    """The checked data as tensors: each input and target [n, ...its shape]."""
    return {
        slot["name"]: torch.tensor(fields[slot["name"]], dtype=torch.float64).reshape((n,) + tuple(slot["shape"]))
        for slot in FIT["slots"]
    }


class StepError(Exception):
    """Training met a value that is not finite: nnc train's NN7001, and nothing is saved."""


def check_step(model, loss, step, epoch):
    """As nnc train after every step: the loss before it, and every param after it, finite."""
    bad = next((name for name, p in model.nn_params().items() if not torch.isfinite(p).all()), None)
    if math.isfinite(loss) and bad is None:
        return
    what = f"the loss is {js_number(loss)}" if not math.isfinite(loss) else (
        f"the loss was {js_number(loss)} but \`{bad}\` is no longer finite after the update"
    )
    raise StepError(
        f"{SOURCE}:1:1: error NN7001: training stopped at step {step} (epoch {epoch}): {what}; "
        "nothing is saved (nnc train on the same data and weights names the first value that is not finite)"
    )


def split(data, n, holdout):
    """nnc's held-out rows: a fixed permutation (seed 1998) picks them; none below 10 rows."""
    held = math.floor(n * holdout + 0.5)
    if n < 10 or held == 0 or held >= n:
        return data, data, n
    order = permutation(n, mulberry32(1998))
    pick = lambda rows: {k: v[torch.tensor(rows)] for k, v in data.items()}
    return pick(order[: n - held]), pick(order[n - held :]), n - held


class TrainLoss(nn.Module):
    """DDP wraps a module's forward: here, the model's training loss."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, feed):
        return self.model.loss(**feed)


def steps_per_epoch(n, batch):
    full, rest = divmod(n, batch)
    return full + (1 if rest >= 2 or (rest == 1 and full == 0) else 0)


def train(rank, world, device, args, fields, n):
    """Trains as nnc train does, this rank's share of every batch; rank 0 reports and saves.
    False where a step is not finite (NN7001, said by rank 0), and nothing is saved."""
    torch.manual_seed(args.seed)
    model = nnc_model.Model()
    if args.dtype == "f64":
        model = model.double()
    if args.load:
        model.load_weights(args.load)
    if args.lr is not None:
        model.LR = args.lr
    model = model.to(device)
    dtype = torch.float64 if args.dtype == "f64" else torch.float32
    data = {k: v.to(dtype) for k, v in tensors(fields, n).items()}
    train_set, test_set, n_train = split(data, n, args.holdout)
    net = DistributedDataParallel(TrainLoss(model)) if world > 1 else TrainLoss(model)
    optimizer = model.make_optimizer()
    batch = max(1, min(args.batch, n_train))
    rand = mulberry32(args.seed)
    order = permutation(n_train, rand)
    per_epoch = steps_per_epoch(n_train, batch)
    step = 0
    train_loss = float("nan")
    try:
        for epoch in range(1, args.epochs + 1):
            if epoch > 1:
                shuffle(order, rand)
            losses = []
            for s in range(per_epoch):
                # the schedule's rate of this step, as nnc train sets it before every step
                for group in optimizer.param_groups:
                    group["lr"] = model.lr_at(step, args.epochs * per_epoch, per_epoch)
                step += 1
                rows = order[s * batch : (s + 1) * batch]
                mine = rows[rank::world]
                # a process without examples still joins the gradient average, with weight 0
                share = len(mine) * world / len(rows)
                feed = {k: v[torch.tensor(mine or rows[:1])].to(device) for k, v in train_set.items()}
                optimizer.zero_grad(set_to_none=True)
                loss = net(feed)
                (loss * share).backward()
                optimizer.step()
                total = loss.detach() * len(mine)
                if world > 1:
                    dist.all_reduce(total)
                losses.append(total.item() / len(rows))
                check_step(model, losses[-1], step, epoch)
            train_loss = sum(losses) / len(losses)
            if rank == 0:
                print(f"epoch {epoch}/{args.epochs}  train loss {train_loss:.6f}", file=sys.stderr)
    except StepError as e:
        if rank == 0:
            print(e, file=sys.stderr)
        return False
    if rank == 0:
        with torch.no_grad():
            final = model.eval_loss(**{k: v.to(device) for k, v in data.items()}).item()
            held = model.eval_loss(**{k: v.to(device) for k, v in test_set.items()}).item()
        if args.save:
            model.save_weights(args.save)
        report = {"epochs": args.epochs, "processes": world, "train_loss": train_loss, "test_loss": held, "final_loss": final}
        print(json.dumps(report), flush=True)
    return True
`;

/** The DDP training script for the module written to `moduleFile` (a file name, same folder). */
export function exportDdp(model: ModelIR, moduleFile: string): string {
  return pythonFile(
    "train_ddp.py, written by nnc export --ddp: trains the model with torch.distributed",
    [
      `# model ${pyComment(model.name)} of ${pyComment(moduleFile)}, as nnc train trains it.`,
      "# On one machine with N processes (gloo on CPU, nccl on GPUs), started by the script itself:",
      "#   python3 train_ddp.py --nproc N --data DATA.csv --epochs 10 --save W.safetensors",
      "# or by a launcher: torchrun --nproc_per_node=N train_ddp.py --data DATA.csv ..., and on",
      "# several machines torchrun --nnodes=M --node_rank=K --master_addr=HOST ... on each. A",
      "# launcher sets MASTER_ADDR, MASTER_PORT, WORLD_SIZE, RANK and LOCAL_RANK; so can a shell, by",
      "# hand. Without --nproc or those variables it trains in one process.",
      `MODULE = ${pyString(moduleFile)}`,
      `SOURCE = ${pyString(model.file)}`,
      imports,
      dataChecks(model),
      script,
      ddpLaunch,
    ],
  );
}
