"""Speed and memory of EBA-PRNetCC beside stock MMPose models, measured in the same process.

Every model is built from its config with random weights and timed on random input at its own
input size: warm-up runs first, then ``repeats`` timed runs; we report the median and the
inter-quartile range. On CUDA, timing is synchronised and AMP is optional.
"""
import os
import platform
import resource
import statistics
import tempfile
import time
from typing import Callable, Dict, List, Optional

import torch

from .complexity import build_model, measure_complexity, model_input_size


def machine_info(device: str) -> Dict:
    """What the numbers were measured on."""
    cpu = platform.processor() or ''
    try:
        with open('/proc/cpuinfo') as f:
            cpu = next(line.split(':', 1)[1].strip() for line in f if 'model name' in line)
    except (OSError, StopIteration):
        pass
    info = dict(platform=platform.platform(), python=platform.python_version(),
                torch=torch.__version__, cpu=cpu, cpu_count=os.cpu_count(),
                torch_threads=torch.get_num_threads(), device=device)
    if device.startswith('cuda'):
        info['gpu'] = torch.cuda.get_device_name(device)
    try:
        import onnxruntime
        info['onnxruntime'] = onnxruntime.__version__
    except ImportError:
        pass
    return info


def time_runs(fn: Callable[[], None], warmup: int, repeats: int, cuda: bool) -> Dict:
    """Run ``fn`` ``warmup`` times, then time ``repeats`` runs: median and IQR in ms."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        if cuda:
            torch.cuda.synchronize()
        start = time.perf_counter()
        fn()
        if cuda:
            torch.cuda.synchronize()
        times.append((time.perf_counter() - start) * 1e3)
    q = statistics.quantiles(times, n=4) if len(times) > 1 else [times[0]] * 3
    return dict(median_ms=statistics.median(times), iqr_ms=q[2] - q[0], runs=len(times))


def bench_eager(model: torch.nn.Module, batch: int, hw, device: str, warmup: int, repeats: int,
                amp: bool = False) -> Dict:
    """Inference time of ``model._forward`` in PyTorch eager mode."""
    x = torch.randn(batch, 3, *hw, device=device)
    cuda = device.startswith('cuda')

    def run():
        with torch.no_grad(), torch.autocast('cuda', enabled=amp and cuda):
            model._forward(x)

    r = time_runs(run, warmup, repeats, cuda)
    r['images_per_s'] = batch / (r['median_ms'] / 1e3)
    return r


def bench_onnx(onnx_file: str, batch: int, hw, warmup: int, repeats: int,
               device: str = 'cpu') -> Dict:
    """Inference time of the exported model in ONNX Runtime."""
    import onnxruntime as ort
    providers = (['CUDAExecutionProvider', 'CPUExecutionProvider']
                 if device.startswith('cuda') else ['CPUExecutionProvider'])
    session = ort.InferenceSession(onnx_file, providers=providers)
    x = torch.randn(batch, 3, *hw).numpy()
    r = time_runs(lambda: session.run(None, {'input': x}), warmup, repeats, cuda=False)
    r['images_per_s'] = batch / (r['median_ms'] / 1e3)
    return r


def bench_model(name: str, config: str, device: str = 'cpu', batches=(1, 32), warmup: int = 2,
                repeats: int = 10, onnx: bool = True, amp: bool = False,
                progress: Optional[Callable[[str], None]] = None) -> Dict:
    """Params, FLOPs and eager (and ONNX Runtime) timings of one config at several batch sizes."""
    say = progress or (lambda msg: None)
    complexity = measure_complexity(config)
    model, cfg = build_model(config, device=device)
    model.eval()
    w, h = model_input_size(cfg)
    row = dict(name=name, config=config, input_hw=[h, w], params_M=complexity['params'] / 1e6,
               GFLOPs=complexity['flops'] / 1e9, eager={}, onnx={})
    for b in batches:
        say(f'{name}: eager batch {b}')
        row['eager'][str(b)] = bench_eager(model, b, (h, w), device, warmup, repeats, amp)
    if onnx:
        from ..deploy import export_onnx
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, 'model.onnx')
            say(f'{name}: ONNX export')
            export_onnx(config, path, require_simcc=False)
            for b in batches:
                say(f'{name}: onnxruntime batch {b}')
                row['onnx'][str(b)] = bench_onnx(path, b, (h, w), warmup, repeats, device)
    return row


def bench_attention_overhead(depth: int = 34, hw=(384, 288), batch: int = 1,
                             device: str = 'cpu', warmup: int = 2, repeats: int = 10) -> Dict:
    """EBA-ResNet against the plain MMPose ResNet of the same depth (backbone only).

    ``eba_resnet_relu`` keeps ReLU in the trunk, isolating the bridge attention; ``eba_resnet``
    is the paper's backbone (Mish trunk and attention).
    """
    from mmpose.models.backbones import ResNet

    from ..models.backbones import EBAResNet
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


def bench_train_step(config: str, batch: int = 32, steps: int = 10, warmup: int = 2,
                     device: str = 'cpu') -> Dict:
    """Training throughput (images/s) and peak memory of ``config``'s model on random data.

    One step = forward with the loss, backward and an optimizer step, on random images and
    SimCC targets of the config's shapes (data loading excluded). Peak memory is
    ``torch.cuda.max_memory_allocated`` on CUDA and the process's peak RSS on the CPU.
    """
    from mmpose.testing import get_packed_inputs
    model, cfg = build_model(config, device=device)
    model.train()
    w, h = model_input_size(cfg)
    packed = get_packed_inputs(batch_size=batch, img_shape=(h, w), input_size=(w, h),
                               num_keypoints=cfg.model.head.out_channels,
                               simcc_split_ratio=cfg.model.head.simcc_split_ratio,
                               with_heatmap=False, with_reg_label=False)
    data = model.data_preprocessor(packed, training=True)
    optim = torch.optim.Adam(model.parameters(), lr=1e-4)
    cuda = device.startswith('cuda')

    def step():
        losses = model(**data, mode='loss')
        loss = sum(v for k, v in losses.items() if 'loss' in k)
        optim.zero_grad()
        loss.backward()
        optim.step()

    if cuda:
        torch.cuda.reset_peak_memory_stats(device)
    r = time_runs(step, warmup, steps, cuda)
    r['images_per_s'] = batch / (r['median_ms'] / 1e3)
    r['batch'] = batch
    if cuda:
        r['peak_memory_MB'] = torch.cuda.max_memory_allocated(device) / 2**20
        r['peak_memory_kind'] = 'torch.cuda.max_memory_allocated'
    else:
        r['peak_memory_MB'] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        r['peak_memory_kind'] = 'process peak RSS'
    return r


def ratios(rows: List[Dict], reference: str) -> None:
    """Add ``ratio_vs_ref`` (reference time / model time, >1 = faster) to every timing in place."""
    ref = next((r for r in rows if r['name'] == reference), None)
    if ref is None:
        return
    for row in rows:
        for mode in ('eager', 'onnx'):
            for b, t in row[mode].items():
                ref_t = ref[mode].get(b)
                if ref_t:
                    t['speedup_vs_ref'] = ref_t['median_ms'] / t['median_ms']
