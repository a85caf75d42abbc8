"""Timing primitives of the benchmark: any callable, eager inference, matmul throughput, the
bridge-attention overhead and a training step (plain, ``channels_last``, ``torch.compile``).

Everything runs in the calling process so that numbers taken together compare. Median and
inter-quartile range of the timed runs are reported; on CUDA, timing is synchronised and AMP
is optional. Runtime (ONNX Runtime / OpenVINO) sessions are timed with :func:`time_runs` by
``tools/analysis/benchmark.py``, which composes this module with
:mod:`eba_prnetcc_mmpose.deploy`.
"""
import resource
import statistics
import time
from typing import Callable, Dict, Tuple, Union

import torch
from torch import nn

from eba_prnetcc_mmpose.utils.model_build import ConfigLike, build_model, model_input_size


def time_runs(fn: Callable[[], object], warmup: int, repeats: int,
              cuda: bool = False) -> Dict:
    """Run ``fn`` ``warmup`` times, then time ``repeats`` runs: median and IQR in ms."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(max(repeats, 1)):
        if cuda:
            torch.cuda.synchronize()
        start = time.perf_counter()
        fn()
        if cuda:
            torch.cuda.synchronize()
        times.append((time.perf_counter() - start) * 1e3)
    q = statistics.quantiles(times, n=4) if len(times) > 1 else [times[0]] * 3
    return dict(median_ms=statistics.median(times), iqr_ms=q[2] - q[0], runs=len(times))


def bench_eager(model: nn.Module, batch: int, hw: Tuple[int, int], device: str, warmup: int,
                repeats: int, amp: bool = False) -> Dict:
    """Inference time of ``model._forward`` (backbone + head, no pre/post-processing)."""
    x = torch.randn(batch, 3, *hw, device=device)
    cuda = device.startswith('cuda')

    def run():
        with torch.no_grad(), torch.autocast('cuda', enabled=amp and cuda):
            model._forward(x)

    r = time_runs(run, warmup, repeats, cuda)
    r['images_per_s'] = batch / (r['median_ms'] / 1e3)
    return r


def matmul_throughput(dtype: torch.dtype = torch.float32, n: int = 2048, warmup: int = 2,
                      repeats: int = 5, device: str = 'cpu') -> Dict:
    """Square ``n x n`` matmul throughput in GMAC/s (1 MAC = 2 FLOP) for ``dtype``.

    The machine's dense-arithmetic ceiling for each precision, measured with the same torch
    threads as the models; a convolution can beat it (Winograd-style kernels do fewer MACs than
    they are credited with).
    """
    a = torch.randn(n, n, device=device).to(dtype)
    b = torch.randn(n, n, device=device).to(dtype)
    r = time_runs(lambda: torch.mm(a, b), warmup, repeats, device.startswith('cuda'))
    r.update(n=n, dtype=str(dtype).replace('torch.', ''),
             GMAC_per_s=n**3 / (r['median_ms'] / 1e3) / 1e9)
    return r


def int8_matmul_throughput(n: int = 2048, warmup: int = 2, repeats: int = 5) -> Dict:
    """Square ``n x n`` int8 x int8 -> int32 matmul throughput in GMAC/s (``torch._int_mm``,
    oneDNN on the CPU: VNNI / AMX where the CPU has them), with the models' torch threads.

    The int8 ceiling beside :func:`matmul_throughput`'s fp32 and bf16; ``error`` instead when
    this torch has no CPU int8 matmul.
    """
    a = torch.randint(-128, 128, (n, n), dtype=torch.int8)
    b = torch.randint(-128, 128, (n, n), dtype=torch.int8)
    try:
        torch._int_mm(a[:32, :32].contiguous(), b[:32, :32].contiguous())
    except (RuntimeError, AttributeError) as e:
        return dict(n=n, dtype='int8', error=' '.join(str(e).split())[:200])
    r = time_runs(lambda: torch._int_mm(a, b), warmup, repeats)
    r.update(n=n, dtype='int8', op='torch._int_mm (s8 x s8 -> s32)',
             GMAC_per_s=n**3 / (r['median_ms'] / 1e3) / 1e9)
    return r


def bench_attention_overhead(depth: int = 34, hw: Tuple[int, int] = (384, 288),
                             batch: int = 1, device: str = 'cpu', warmup: int = 2,
                             repeats: int = 10) -> Dict:
    """EBA-ResNet against the plain MMPose ResNet of the same depth (backbone only).

    ``eba_resnet_relu`` keeps ReLU in the trunk, isolating the bridge attention; ``eba_resnet``
    is the paper's backbone (Mish trunk and attention).
    """
    from mmpose.models.backbones import ResNet

    from eba_prnetcc_mmpose.models import EBAResNet
    out = dict(depth=depth, input_hw=list(hw), batch=batch)
    nets = (('resnet', ResNet(depth)),
            ('eba_resnet_relu', EBAResNet(depth, act_cfg=dict(type='ReLU', inplace=True))),
            ('eba_resnet', EBAResNet(depth)))
    for key, net in nets:
        net.to(device)
        net.eval()  # (MMPose's ResNet.train() returns None, so no chaining)
        x = torch.randn(batch, 3, *hw, device=device)

        def run():
            with torch.no_grad():
                net(x)

        out[key] = time_runs(run, warmup, repeats, device.startswith('cuda'))
        out[key]['params_M'] = sum(p.numel() for p in net.parameters()) / 1e6
    out['time_ratio'] = out['eba_resnet']['median_ms'] / out['resnet']['median_ms']
    out['time_ratio_attention_only'] = (out['eba_resnet_relu']['median_ms']
                                        / out['resnet']['median_ms'])
    return out


def bench_train_step(config: ConfigLike, batch: int = 32, steps: int = 10, warmup: int = 2,
                     device: str = 'cpu', channels_last: bool = False,
                     compile: Union[bool, str] = False) -> Dict:
    """Training throughput (images/s) and peak memory of ``config``'s model on random data.

    One step is MMEngine's ``model.train_step(data, optim_wrapper)`` (data preprocessor,
    forward with the loss, backward, Adam step) on random images and SimCC targets of the
    model's shapes (data loading excluded). ``compile=True`` (or ``'train_step'``) wraps
    ``train_step`` in ``torch.compile`` exactly as MMEngine's ``Runner`` does for
    ``compile=True``; ``compile='modules'`` compiles only the backbone and head modules (the
    data preprocessor, data samples and optimizer stay eager). The first (compiling) call is
    timed separately as ``compile_s``; a compilation that fails is reported as ``error``
    instead of raising. ``channels_last`` converts the model
    and the input batch to that memory format. Peak memory is
    ``torch.cuda.max_memory_allocated`` on CUDA and the process's peak RSS on the CPU (which
    only grows, so compare it across processes only).
    """
    from mmengine.optim import OptimWrapper
    from mmpose.testing import get_packed_inputs
    model, _ = build_model(config, device=device)
    model.train()
    w, h = model_input_size(model)
    packed = get_packed_inputs(batch_size=batch, img_shape=(h, w), input_size=(w, h),
                               num_keypoints=model.head.out_channels,
                               simcc_split_ratio=model.head.simcc_split_ratio,
                               with_heatmap=False, with_reg_label=False)
    if channels_last:
        model = model.to(memory_format=torch.channels_last)
        packed['inputs'] = [x.contiguous(memory_format=torch.channels_last)
                            if x.dim() == 4 else x for x in packed['inputs']]
    optim = OptimWrapper(torch.optim.Adam(model.parameters(), lr=1e-4))
    step_fn = model.train_step
    cuda = device.startswith('cuda')
    compile_s = None
    if compile:
        if compile == 'modules':
            model.backbone.compile()
            model.head.compile()
        else:
            step_fn = torch.compile(step_fn)
        start = time.perf_counter()
        try:
            step_fn(packed, optim)
        except Exception as e:  # noqa: BLE001 - dynamo failures are a result, not a crash
            return dict(batch=batch, channels_last=channels_last, compile=compile,
                        error=' '.join(str(e).split())[:300])
        compile_s = time.perf_counter() - start
    if cuda:
        torch.cuda.reset_peak_memory_stats(device)
    r = time_runs(lambda: step_fn(packed, optim), warmup, steps, cuda)
    r.update(images_per_s=batch / (r['median_ms'] / 1e3), batch=batch,
             channels_last=channels_last, compile=compile, compile_s=compile_s)
    if cuda:
        r['peak_memory_MB'] = torch.cuda.max_memory_allocated(device) / 2**20
        r['peak_memory_kind'] = 'torch.cuda.max_memory_allocated'
    else:
        r['peak_memory_MB'] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        r['peak_memory_kind'] = 'process peak RSS'
    return r
