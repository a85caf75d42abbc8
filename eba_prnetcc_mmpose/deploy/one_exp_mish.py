"""Export-time Mish written with one ``exp`` (for runtimes that have no Mish kernel).

PyTorch's ONNX exporter writes ``nn.Mish`` as ``Softplus -> Tanh -> Mul``. With
``e = exp(x)`` and ``n = e (e + 2)``, ``tanh(softplus(x)) = n / (n + 2)``, so

    mish(x) = x * n / (n + 2),

one exponential instead of the exp + log1p of Softplus and the exp of Tanh. Overflow guard:
``x`` is clamped to 20 inside the exponential (``e^40`` stays finite in fp32, and for x >= 20
``n / (n + 2)`` rounds to 1 in fp32, as ``tanh(softplus(x))`` does), so large inputs give
``x`` exactly and no ``inf / inf`` (the ratio is taken before multiplying by ``x``).

Whether this is faster depends on the runtime (it is more, cheaper, element-wise nodes):
``tools/analysis/benchmark.py`` measures it (runtime ``onnxruntime-1exp-mish``, docs/benchmarks.md).
:func:`~.onnx_export.export_onnx` writes it with ``one_exp_mish=True``, which
``tools/deployment/export_onnx.py`` passes unless ``--standard-mish`` is given.
"""
import copy

import torch
from torch import nn

#: Above this, tanh(softplus(x)) == 1 in fp32.
MISH_CLAMP = 20.0


class OneExpMish(nn.Module):
    """``x * n / (n + 2)`` with ``n = e^x (e^x + 2)``, ``e^x`` computed at ``min(x, 20)``."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        e = torch.exp(torch.clamp(x, max=MISH_CLAMP))
        n = e * (e + 2.0)
        return x * (n / (n + 2.0))  # ratio first: x * n would overflow for huge x


def replace_mish(model: nn.Module, inplace: bool = False) -> nn.Module:
    """A copy of ``model`` (or ``model`` itself with ``inplace``) whose ``nn.Mish`` modules
    are :class:`OneExpMish`. Returns the model; the count is in ``model._one_exp_mish``."""
    model = model if inplace else copy.deepcopy(model)
    count = 0
    for parent in list(model.modules()):
        for name, child in list(parent.named_children()):
            if isinstance(child, nn.Mish):
                setattr(parent, name, OneExpMish())
                count += 1
    model._one_exp_mish = count
    return model
