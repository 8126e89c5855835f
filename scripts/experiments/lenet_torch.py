"""PyTorch's LeNet-5 on the split of `nnc train --data mnist` (scripts/experiments/lenet.ts runs it).

The network of models/lenet.nn as PyTorch users write it (bench/contenders/pytorch_lenet.py's
LeNet: nn.Conv2d, F.max_pool2d, nn.Linear), from nnc's initial weights (seed 1), trained with
torch.optim.Adam at 2e-3 annealed to 0 along half a cosine over every step (LambdaLR), batches of
32 in an order torch draws (torch.Generator seeded with the seed), F.cross_entropy, for the given
epochs, in float32 on one thread. After each epoch: the mean training loss of its steps, the loss
and the accuracy on the 2,000 held-out digits.

usage: lenet_torch.py WEIGHTS DATA CONFIG_JSON; prints one line `RESULT {json}`.
"""

import json
import math
import os
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "bench", "contenders"))
from pytorch_lenet import LeNet, read_safetensors  # noqa: E402


def main():
    weights = read_safetensors(sys.argv[1])
    data = read_safetensors(sys.argv[2])
    cfg = json.loads(sys.argv[3])
    batch, epochs = cfg["batch"], cfg["epochs"]
    torch.manual_seed(cfg["seed"])
    order = torch.Generator().manual_seed(cfg["seed"])

    train_x = data["train.x"].reshape(-1, 1, 28, 28)
    train_y = data["train.y"].argmax(1)
    test_x = data["test.x"].reshape(-1, 1, 28, 28)
    test_y = data["test.y"].argmax(1)
    n = train_x.shape[0]
    steps = epochs * math.ceil(n / batch)

    model = LeNet()
    model.load_nnc(weights)
    opt = torch.optim.Adam(model.parameters(), lr=cfg["lr"])
    schedule = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda u: (1 + math.cos(math.pi * min(1.0, u / steps))) / 2
    )

    def held_out():
        model.eval()
        with torch.inference_mode():
            z = model(test_x)
            loss = float(F.cross_entropy(z, test_y))
            accuracy = float((z.argmax(1) == test_y).double().mean())
        model.train()
        return loss, accuracy

    loss, accuracy = held_out()
    epochs_out = [{"epoch": 0, "trainLoss": None, "testLoss": loss, "testAccuracy": accuracy}]
    for epoch in range(1, epochs + 1):
        perm = torch.randperm(n, generator=order)
        total, count = 0.0, 0
        for k in range(0, n, batch):
            idx = perm[k : k + batch]
            opt.zero_grad(set_to_none=True)
            step_loss = F.cross_entropy(model(train_x[idx]), train_y[idx])
            step_loss.backward()
            opt.step()
            schedule.step()
            total += float(step_loss)
            count += 1
        loss, accuracy = held_out()
        epochs_out.append(
            {"epoch": epoch, "trainLoss": total / count, "testLoss": loss, "testAccuracy": accuracy}
        )
    result = {"version": torch.__version__, "epochs": epochs_out}
    print("RESULT " + json.dumps(result))


if __name__ == "__main__":
    torch.set_num_threads(1)
    main()
