"""The PyTorch contender of the LeNet workloads (bench/contenders/pytorch.ts runs it).

LeNet-5 as PyTorch users write it (nn.Conv2d, nn.Linear, F.max_pool2d, F.cross_entropy,
torch.optim.SGD with momentum), on one thread, from nnc's initial weights and on the same data,
read from safetensors files with the standard library. The timing follows bench/common.ts's
timeFor: half a second of warm-up at least, a probe, then 3 repetitions of about `seconds` each,
in CPU time of the process (time.process_time) and wall-clock time (time.perf_counter).

usage: pytorch_lenet.py WEIGHTS DATA CONFIG_JSON; prints one line `RESULT {json}`.
"""

import json
import struct
import sys
import time

import torch
import torch.nn.functional as F
from torch import nn

torch.set_num_threads(1)
torch.set_num_interop_threads(1)


def read_safetensors(path):
    """name -> float32 tensor, from the format's 8-byte header length, JSON header and raw data."""
    with open(path, "rb") as f:
        raw = bytearray(f.read())
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8 : 8 + n])
    out = {}
    for name, t in header.items():
        if name == "__metadata__":
            continue
        assert t["dtype"] == "F32", name
        begin, end = t["data_offsets"]
        flat = torch.frombuffer(raw, dtype=torch.float32, count=(end - begin) // 4, offset=8 + n + begin)
        out[name] = flat.reshape(t["shape"])
    return out


class LeNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv2d(1, 6, 5, padding=2)
        self.c2 = nn.Conv2d(6, 16, 5)
        self.d0 = nn.Linear(400, 120)
        self.d1 = nn.Linear(120, 84)
        self.z = nn.Linear(84, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.c1(x)), 2)
        x = F.max_pool2d(F.relu(self.c2(x)), 2)
        x = F.relu(self.d0(torch.flatten(x, 1)))
        x = F.relu(self.d1(x))
        return self.z(x)

    def load_nnc(self, w):
        """nnc's names and layouts: convolutions [out, in, kh, kw] as here, dense W [in, out]."""
        with torch.no_grad():
            for mine, theirs, transpose in [
                (self.c1, "c1", False),
                (self.c2, "c2", False),
                (self.d0, "h.dense0", True),
                (self.d1, "h.dense1", True),
                (self.z, "z", True),
            ]:
                weight = w[theirs + ".W"]
                mine.weight.copy_(weight.t() if transpose else weight)
                mine.bias.copy_(w[theirs + ".b"])


def time_for(fn, seconds, reps):
    t0 = time.perf_counter()
    i = 0
    while i < 5 or time.perf_counter() - t0 < 0.5:
        fn()
        i += 1
    p0 = time.process_time()
    for _ in range(3):
        fn()
    probe = (time.process_time() - p0) / 3
    calls = max(3, round(seconds / max(probe, 1e-7)))
    for _ in range(max(5, calls >> 1)):
        fn()
    cpu, wall = [], []
    for _ in range(reps):
        w0, c0 = time.perf_counter(), time.process_time()
        for _ in range(calls):
            fn()
        cpu.append((time.process_time() - c0) / calls)
        wall.append((time.perf_counter() - w0) / calls)
    return cpu, wall


def checksum(p):
    weights = torch.arange(p.numel()) % 7 + 1
    return float((p.reshape(-1).double() * weights.double()).sum())


def main():
    weights = read_safetensors(sys.argv[1])
    data = read_safetensors(sys.argv[2])
    cfg = json.loads(sys.argv[3])
    batch, reps = cfg["batch"], cfg["reps"]
    result = {"contender": "pytorch", "reps": {}, "wallReps": {}}
    result["notes"] = [f"PyTorch {torch.__version__}, {torch.get_num_threads()} thread"]

    train_x = data["train.x"].reshape(-1, 1, 28, 28)
    labels = data["train.y"].argmax(1)
    batches = [
        (train_x[k * batch : (k + 1) * batch], labels[k * batch : (k + 1) * batch])
        for k in range(train_x.shape[0] // batch)
    ]
    model = LeNet()
    model.load_nnc(weights)
    opt = torch.optim.SGD(model.parameters(), lr=cfg["lr"], momentum=cfg["momentum"])
    step_no = [0]

    def step():
        x, y = batches[step_no[0] % len(batches)]
        step_no[0] += 1
        opt.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        return loss

    if cfg["first"]:
        result["lenetLosses"] = [float(step().item()) for _ in range(cfg["sanitySteps"])]
    cpu, wall = time_for(step, cfg["trainSeconds"], reps)
    result["reps"]["lenetTrain"], result["wallReps"]["lenetTrain"] = cpu, wall

    infer_model = LeNet()
    infer_model.load_nnc(weights)
    infer_model.eval()
    test_x = data["test.x"].reshape(-1, 1, 28, 28)
    for b in (64, 1):
        x = test_x[:b]

        def infer():
            with torch.inference_mode():
                return torch.softmax(infer_model(x), 1)

        if b == 64:
            result["lenetInferCheck"] = checksum(infer())
        cpu, wall = time_for(infer, cfg["inferSeconds"], reps)
        result["reps"][f"lenetInfer{b}"], result["wallReps"][f"lenetInfer{b}"] = cpu, wall
    print("RESULT " + json.dumps(result))


if __name__ == "__main__":
    main()
