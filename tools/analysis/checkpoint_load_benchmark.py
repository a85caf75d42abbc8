"""Time the restricted checkpoint loader against ``torch.load`` on the same file, in one run.

Writes a checkpoint shaped like an MMEngine ``Runner`` one (a ResNet-like state dict, Adam
moments, numpy metadata, a message hub with ``HistoryBuffer`` s) of about ``--mib`` MiB, then
loads it repeatedly, interleaving:

- ``torch.load(weights_only=True)``: torch's own restricted unpickler (what the loader before
  the parser process used underneath, and the fastest safe baseline);
- ``torch.load(weights_only=False)``: full pickle (unsafe; for reference);
- ``load_checkpoint_safely``: ours (parser process + rebuild in this process).

torch's restricted unpickler refuses the numpy and ``HistoryBuffer`` content, so for it the
checkpoint is saved once more without them (same tensors). Prints medians, ratios measured in
this run and the CPU, and writes JSON (default ``benchmarks/checkpoint_load.json``).

Example::

    python tools/analysis/checkpoint_load_benchmark.py            # 100 MiB, 7 rounds
    python tools/analysis/checkpoint_load_benchmark.py --quick    # 8 MiB, 2 rounds (CI)
"""
import argparse
import json
import os
import os.path as osp
import platform
import statistics
import sys
import tempfile
import time

import numpy as np
import torch
from tqdm import tqdm

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def cpu_info() -> dict:
    """CPU model and the SIMD flags that matter for these numbers (from /proc/cpuinfo)."""
    model, flags = platform.processor() or platform.machine(), []
    try:
        with open('/proc/cpuinfo') as f:
            for line in f:
                if line.startswith('model name') and model in ('', platform.machine()):
                    model = line.split(':', 1)[1].strip()
                elif line.startswith('flags'):
                    flags = [f for f in line.split(':', 1)[1].split()
                             if f.startswith(('avx', 'amx')) or f in ('fma', 'f16c')]
                    break
    except OSError:
        pass
    return dict(model=model, flags=sorted(set(flags)), cores=os.cpu_count(),
                torch_threads=torch.get_num_threads(), python=platform.python_version(),
                torch=torch.__version__)


def make_checkpoint(mib: float, with_extras: bool) -> dict:
    """A Runner-like checkpoint of about ``mib`` MiB of float32 weights plus Adam state."""
    from mmengine.logging import HistoryBuffer
    gen = torch.Generator().manual_seed(0)
    numel = int(mib * 2**20 / 4 / 3)  # weights + exp_avg + exp_avg_sq
    sizes, left = [], numel
    while left > 0:  # conv-like tensors of varying size, as in a ResNet
        n = min(left, [2**k for k in (8, 12, 14, 16, 18, 20)][len(sizes) % 6])
        sizes.append(n)
        left -= n
    state_dict = {f'layer.{i}.weight': torch.randn(n, generator=gen) for i, n in enumerate(sizes)}
    optim = dict(state={i: dict(step=torch.tensor(10.), exp_avg=torch.randn(n, generator=gen),
                                exp_avg_sq=torch.rand(n, generator=gen))
                        for i, n in enumerate(sizes)},
                 param_groups=[dict(lr=1e-3, betas=(0.9, 0.999), params=list(range(len(sizes))))])
    ckpt = dict(state_dict=state_dict, optimizer=optim,
                meta=dict(epoch=3, iter=300, seed=0, config="model = dict(type='X')"))
    if with_extras:
        hub = {f'train/{k}': HistoryBuffer(np.random.rand(300), np.ones(300), 300)
               for k in ('loss', 'lr', 'acc')}
        ckpt['message_hub'] = dict(log_scalars=hub, runtime_info=dict(epoch=3))
        ckpt['meta']['dataset_meta'] = dict(sigmas=np.linspace(0.2, 1, 17).astype(np.float32))
    return ckpt


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(
        description=__doc__.split('\n\n')[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument('--mib', type=float, default=100, help='size of the checkpoint')
    parser.add_argument('--rounds', type=int, default=7, help='loads per loader')
    parser.add_argument('--quick', action='store_true', help='8 MiB, 2 rounds (CI)')
    parser.add_argument('--out', default=osp.join(ROOT, 'benchmarks', 'checkpoint_load.json'),
                        help='JSON file to write ("" for none)')
    args = parser.parse_args(argv)
    if args.quick:
        args.mib, args.rounds = 8, 2
    import eba_prnetcc_mmpose  # noqa: F401
    from eba_prnetcc_mmpose.utils.safe_load import load_checkpoint_safely
    with tempfile.TemporaryDirectory() as tmp:
        full, plain = osp.join(tmp, 'runner.pth'), osp.join(tmp, 'tensors.pth')
        torch.save(make_checkpoint(args.mib, True), full)
        torch.save(make_checkpoint(args.mib, False), plain)
        loaders = {
            'torch.load(weights_only=True)': lambda: torch.load(plain, weights_only=True),
            'torch.load(weights_only=False)': lambda: torch.load(full, weights_only=False),
            'load_checkpoint_safely': lambda: load_checkpoint_safely(full),
        }
        times = {name: [] for name in loaders}
        for name, load in loaders.items():  # warm the page cache and the imports
            load()
        for _ in tqdm(range(args.rounds), desc='rounds', disable=args.quick):
            for name, load in loaders.items():
                start = time.perf_counter()
                load()
                times[name].append(time.perf_counter() - start)
        size = osp.getsize(full)
    med = {name: statistics.median(t) for name, t in times.items()}
    base = med['torch.load(weights_only=True)']
    result = dict(file_mib=size / 2**20, rounds=args.rounds, machine=cpu_info(),
                  median_seconds=med,
                  ratio_to_torch_weights_only={k: v / base for k, v in med.items()})
    print(f'checkpoint: {size / 2**20:.1f} MiB, {args.rounds} rounds, '
          f'{result["machine"]["model"]} ({result["machine"]["cores"]} cores, '
          f'{" ".join(result["machine"]["flags"])})')
    for name, t in med.items():
        print(f'  {name:32s} {t * 1000:8.1f} ms   x{t / base:.2f} of torch weights_only')
    if args.out:
        os.makedirs(osp.dirname(args.out), exist_ok=True)
        with open(args.out, 'w') as f:
            json.dump(result, f, indent=2)
            f.write('\n')
    return result


if __name__ == '__main__':
    sys.exit(0 if main() else 1)
