"""Time the restricted checkpoint loader against ``torch.load`` on the same file, in one run.

Writes a checkpoint shaped like an MMEngine ``Runner`` one (a ResNet-like state dict, Adam
moments, numpy metadata, a message hub with ``HistoryBuffer`` s) of about ``--mib`` MiB, then
times, interleaved, each loader's first load in a fresh interpreter (what a user's
``tools/test.py`` or resume meets) and repeated loads in one process (where the allocator
already holds the memory, so reading tensors is several times faster and fixed costs weigh more):

- ``torch.load(weights_only=True)``: torch's own restricted unpickler (what the loader before
  the parser process used underneath, and the fastest safe baseline);
- ``torch.load(weights_only=False)``: full pickle (unsafe; for reference);
- ``load_checkpoint_safely``: ours (parser process + rebuild in this process).

torch's restricted unpickler refuses the numpy and ``HistoryBuffer`` content, so for it the
checkpoint is saved once more without them (same tensors). Prints medians, ratios measured in
this run and the CPU, and writes JSON (default ``benchmarks/checkpoint_load.json``).

Example::

    python tools/analysis/checkpoint_load_benchmark.py            # 100 MiB, 7 rounds
    python tools/analysis/checkpoint_load_benchmark.py --quick    # 8 MiB, 1 round (CI)
    python tools/analysis/checkpoint_load_benchmark.py \
        --config configs/eba_prnetcc/simcc_eba-res34-mlp_1xb16-140e_coco-384x288.py

With ``--config`` the checkpoint is a real one instead: that model's ``state_dict`` plus the
AdamW state after one step (what ``Runner.save_checkpoint`` stores for it), whatever its size.
"""
import argparse
import json
import os
import os.path as osp
import platform
import statistics
import subprocess
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


def runner_checkpoint(state_dict: dict, optimizer: dict, with_extras: bool) -> dict:
    """What a ``Runner`` saves around weights and optimizer state (with numpy and
    ``HistoryBuffer`` content when ``with_extras``; torch's restricted unpickler refuses it)."""
    ckpt = dict(state_dict=state_dict, optimizer=optimizer,
                meta=dict(epoch=3, iter=300, seed=0, config="model = dict(type='X')"))
    if with_extras:
        from mmengine.logging import HistoryBuffer
        hub = {f'train/{k}': HistoryBuffer(np.random.rand(300), np.ones(300), 300)
               for k in ('loss', 'lr', 'acc')}
        ckpt['message_hub'] = dict(log_scalars=hub, runtime_info=dict(epoch=3))
        ckpt['meta']['dataset_meta'] = dict(sigmas=np.linspace(0.2, 1, 17).astype(np.float32))
    return ckpt


def make_checkpoint(mib: float, with_extras: bool) -> dict:
    """A Runner-like checkpoint of about ``mib`` MiB of float32 weights plus Adam state."""
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
    return runner_checkpoint(state_dict, optim, with_extras)


def model_checkpoint(config: str, with_extras: bool) -> dict:
    """``state_dict`` and AdamW state (after one step) of the model a config builds."""
    from mmengine.config import Config
    from mmpose.registry import MODELS
    from mmpose.utils import register_all_modules
    register_all_modules()
    cfg = Config.fromfile(config)
    cfg.model.pop('init_cfg', None)
    cfg.model.backbone.pop('init_cfg', None)
    model = MODELS.build(cfg.model)
    optim = torch.optim.AdamW(model.parameters(), lr=1e-3)
    gen = torch.Generator().manual_seed(0)
    for p in model.parameters():
        p.grad = torch.randn(p.shape, generator=gen)
    optim.step()
    return runner_checkpoint(model.state_dict(), optim.state_dict(), with_extras)


LOADERS = ('torch.load(weights_only=True)', 'torch.load(weights_only=False)',
           'load_checkpoint_safely')


def _load(name: str, plain: str, full: str) -> None:
    if name == LOADERS[0]:
        torch.load(plain, weights_only=True)
    elif name == LOADERS[1]:
        torch.load(full, weights_only=False)
    else:
        from eba_prnetcc_mmpose.utils.safe_load import load_checkpoint_safely
        load_checkpoint_safely(full)


def _time_repeated(plain: str, full: str, rounds: int) -> dict:
    """Each loader ``rounds`` times in this process, interleaved, after one warm-up load each.

    Repeated loads of one size reuse memory the allocator already holds (no page faults), which
    makes tensor reading several times faster than in a process's first load.
    """
    times = {name: [] for name in LOADERS}
    for name in LOADERS:
        _load(name, plain, full)
    for _ in tqdm(range(rounds), desc='repeated loads', leave=False):
        for name in LOADERS:
            start = time.perf_counter()
            _load(name, plain, full)
            times[name].append(time.perf_counter() - start)
    return times


def _time_fresh(plain: str, full: str, rounds: int) -> dict:
    """Each loader's first load in a new interpreter (imports done before the clock starts)."""
    times = {name: [] for name in LOADERS}
    for _ in tqdm(range(rounds), desc='fresh processes', leave=False):
        for name in LOADERS:
            out = subprocess.run(
                [sys.executable, __file__, '--time-one', name, plain, full],
                check=True, capture_output=True, text=True).stdout
            times[name].append(float(out.strip().splitlines()[-1]))
    return times


def _time_one(name: str, plain: str, full: str) -> None:
    import eba_prnetcc_mmpose  # noqa: F401  (every loader runs with the plugin imported)
    start = time.perf_counter()
    _load(name, plain, full)
    print(time.perf_counter() - start)


def build_parser() -> argparse.ArgumentParser:
    """The command line (documented; ``--time-one`` is the fresh-process worker's)."""
    parser = argparse.ArgumentParser(
        description=__doc__.split('\n\n')[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument('--mib', type=float, default=100, help='size of the checkpoint')
    parser.add_argument('--rounds', type=int, default=7, help='loads per loader')
    parser.add_argument('--config', default='',
                        help='save a real checkpoint of this config\'s model instead')
    parser.add_argument('--quick', action='store_true', help='8 MiB, 1 round (CI)')
    parser.add_argument('--out', default=osp.join(ROOT, 'benchmarks', 'checkpoint_load.json'),
                        help='JSON file to write ("" for none)')
    parser.add_argument('--time-one', nargs=3, help=argparse.SUPPRESS)
    return parser


def main(argv=None) -> dict:
    args = build_parser().parse_args(argv)
    if args.time_one:
        return _time_one(*args.time_one) or {'ok': True}
    if args.quick:
        args.mib, args.rounds = 8, 1
    import eba_prnetcc_mmpose  # noqa: F401
    with tempfile.TemporaryDirectory() as tmp:
        full, plain = osp.join(tmp, 'runner.pth'), osp.join(tmp, 'tensors.pth')
        make = ((lambda extras: model_checkpoint(args.config, extras)) if args.config
                else (lambda extras: make_checkpoint(args.mib, extras)))
        torch.save(make(True), full)
        torch.save(make(False), plain)
        n_tensors = sum(1 for v in torch.load(plain, weights_only=True)['state_dict'].values())
        times = {'first load in a fresh process': _time_fresh(plain, full, args.rounds),
                 'repeated loads in one process': _time_repeated(plain, full, args.rounds)}
        size = osp.getsize(full)
    result = dict(file_mib=size / 2**20, rounds=args.rounds, machine=cpu_info(),
                  source=args.config or 'synthetic Runner-like', state_dict_tensors=n_tensors,
                  median_seconds={}, ratio_to_torch_weights_only={})
    print(f'checkpoint: {result["source"]}, {size / 2**20:.1f} MiB, {n_tensors} tensors in '
          f'state_dict, {args.rounds} rounds, {result["machine"]["model"]} '
          f'({result["machine"]["cores"]} cores, {" ".join(result["machine"]["flags"])})')
    for mode, per_loader in times.items():
        med = {name: statistics.median(t) for name, t in per_loader.items()}
        base = med[LOADERS[0]]
        result['median_seconds'][mode] = med
        result['ratio_to_torch_weights_only'][mode] = {k: v / base for k, v in med.items()}
        print(f' {mode}:')
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
