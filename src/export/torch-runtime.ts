// The fixed Python of every exported torch module: imports, the straight-through step, the
// safetensors reader and writer (standard library and torch only), and the Model methods that do
// not depend on the model.

export const header = `import json
import math
import struct

import torch
import torch.nn.functional as F
from torch import nn`;

export const helpers = `
class StraightThroughStep(torch.autograd.Function):
    """The perceptron's step (1 where x > 0, else 0); its gradient passes straight through."""

    @staticmethod
    def forward(ctx, x):
        return (x > 0).to(x.dtype)

    @staticmethod
    def backward(ctx, g):
        return g


# every attribute a ParameterDict (and so any nn.Module) has, class or instance
_TAKEN = frozenset(dir(nn.ParameterDict()))


def _key(name):
    """The key of a .nn name in a ParameterDict or the state module: dots become colons (torch
    forbids dots in keys), and a name that is already an attribute of nn.Module (eval, training)
    gets a leading colon. .nn names never start with a colon, so the mapping reverses: _name."""
    key = name.replace(".", ":")
    return ":" + key if key in _TAKEN else key


def _name(key):
    """The .nn name of a key (the inverse of _key)."""
    return (key[1:] if key.startswith(":") else key).replace(":", ".")


_DTYPES = {"F32": torch.float32, "F64": torch.float64}


def read_safetensors(path):
    """Every tensor of a safetensors file, by name: an 8-byte little-endian header length, the
    JSON header, then the raw little-endian data."""
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8 : 8 + n].decode("utf-8"))
    start = 8 + n
    tensors = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        if info["dtype"] not in _DTYPES:
            raise ValueError(f"{path}: tensor {name!r} has dtype {info['dtype']}; F32 and F64 are read")
        begin, end = info["data_offsets"]
        raw = bytearray(data[start + begin : start + end])
        flat = torch.frombuffer(raw, dtype=_DTYPES[info["dtype"]]) if raw else torch.zeros(0)
        tensors[name] = flat.reshape(info["shape"]).clone()
    return tensors


def write_safetensors(path, tensors, metadata):
    """Writes {name: tensor} (f32 or f64) as nnc and the safetensors library read it."""
    header = {"__metadata__": metadata}
    blobs = []
    offset = 0
    for name, t in tensors.items():
        t = t.detach().cpu().contiguous()
        dtype = "F64" if t.dtype == torch.float64 else "F32"
        values = t.to(_DTYPES[dtype]).flatten().tolist()
        blob = struct.pack(f"<{len(values)}{'d' if dtype == 'F64' else 'f'}", *values)
        header[name] = {"dtype": dtype, "shape": list(t.shape), "data_offsets": [offset, offset + len(blob)]}
        blobs.append(blob)
        offset += len(blob)
    text = json.dumps(header, separators=(",", ":"))
    text += " " * ((8 - len(text.encode("utf-8")) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text.encode("utf-8"))))
        f.write(text.encode("utf-8"))
        for blob in blobs:
            f.write(blob)
`;

/** Methods of Model that every model has, after the generated ones. */
export const methods = `
def nn_params(self):
    """The params by .nn name ("h.W"): the tensors themselves, not copies."""
    return {name: self.params[_key(name)] for name in self.PARAMS}

def nn_state(self):
    """The non-trainable state (batchnorm running statistics) by .nn name."""
    return {name: getattr(self.state, _key(name)) for name in self.STATE}

def load_weights(self, path):
    """Loads params and state from a safetensors file (as nnc train --save writes it)."""
    tensors = read_safetensors(path)
    targets = {**self.nn_params(), **self.nn_state()}
    missing = [n for n in targets if n not in tensors]
    extra = [n for n in tensors if n not in targets]
    wrong = [n for n in targets if n in tensors and tuple(tensors[n].shape) != tuple(targets[n].shape)]
    if missing or extra or wrong:
        raise ValueError(f"{path} does not fit model {self.NAME}: missing {missing}, unknown {extra}, wrong shape {wrong}")
    with torch.no_grad():
        for name, target in targets.items():
            target.copy_(tensors[name])

def save_weights(self, path):
    """Saves params and state as safetensors, which nnc eval --load and nnc train --load read."""
    tensors = {**self.nn_params(), **self.nn_state()}
    write_safetensors(path, tensors, {"format": "nnc", "model": self.NAME})

def _take(self, feed, name, shape, dims, index=False):
    """The input \`name\` as a tensor of the model's dtype (torch.long for an \`int\` input, whose
    values must be whole numbers); its named dims are bound in \`dims\`."""
    if name not in feed:
        raise ValueError(f"missing input {name!r} of shape {list(shape)}")
    if index:
        value = torch.as_tensor(feed[name], device=self._anchor.device)
        if value.is_floating_point() and not torch.equal(value, torch.round(value)):
            raise ValueError(f"input {name!r} holds indices: whole numbers, got a fraction")
        value = value.to(torch.long)
    else:
        value = torch.as_tensor(feed[name], dtype=self._anchor.dtype, device=self._anchor.device)
    if value.dim() != len(shape):
        raise ValueError(f"input {name!r} should have shape {list(shape)}, got {list(value.shape)}")
    for d, size in zip(shape, value.shape):
        if isinstance(d, str) and dims.setdefault(d, size) != size:
            raise ValueError(f"input {name!r}: {d} is {size} here but {dims[d]} elsewhere")
        if isinstance(d, int) and d != size:
            raise ValueError(f"input {name!r} should have shape {list(shape)}, got {list(value.shape)}")
    return value

def _tensor(self, value):
    return torch.as_tensor(value, dtype=self._anchor.dtype, device=self._anchor.device)

def _dropout_mask(self, shape, rate):
    """0 with probability rate, else 1 / (1 - rate): dropout's mask, as nnc draws it."""
    keep = torch.rand(shape, dtype=self._anchor.dtype, device=self._anchor.device) >= rate
    return keep.to(self._anchor.dtype) / (1 - rate)

def set_learning_rate(self, lr):
    """The rate of the next train_step calls, as the generated module's setLearningRate (nnc
    train sets lr_at's rate before every step)."""
    if self._optimizer is None:
        self._optimizer = self.make_optimizer()
    for group in self._optimizer.param_groups:
        group["lr"] = lr

def train_step(self, /, **feed):
    """One step as nnc's trainStep: the loss before the step; updates params, state and the
    optimizer (make_optimizer's, made at the first step)."""
    if self._optimizer is None:
        self._optimizer = self.make_optimizer()
    self._optimizer.zero_grad(set_to_none=True)
    loss = self.loss(**feed)
    loss.backward()
    self._optimizer.step()
    return loss.detach()
`;
