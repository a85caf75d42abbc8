"""Where OpenVINO spends the time: per-layer profile of exported models, int8 beside bf16.

Reads the OpenVINO IRs that ``tools/analysis/benchmark.py`` cached (``<work-dir>/<model>/
model.xml`` and ``model.int8.xml``), compiles each with performance counters on, runs it and
sums the counters by layer type and kernel (e.g. ``Convolution / brgconv_avx512_I8``): which
layers run in int8, which fell back to f32, and what the int8 speed-up of each layer group is.
Prints tables, writes JSON. A diagnosis, not a timing benchmark: use one thread on a machine
whose other core may be busy, and read ratios, not absolute times.

Example::

    python tools/analysis/ov_layer_profile.py \\
        --models eba-r34-mlp-384x288 simcc-r50-384x288 --work-dir work_dirs/benchmark_int8
"""
import argparse
import json
import os
import os.path as osp
import sys
import time
from collections import defaultdict
from typing import Dict

import numpy as np

sys.path.append(osp.dirname(osp.dirname(osp.abspath(__file__))))  # tools/, for eba_tools
from eba_tools.cli import run_tool  # noqa: E402
from eba_tools.machine import machine_info  # noqa: E402

#: (IR file, OpenVINO inference precision hint) per precision row.
PRECISIONS = {'bf16': ('model.xml', 'bf16'), 'int8': ('model.int8.xml', 'f32'),
              'fp32': ('model.xml', 'f32')}


def profile(xml: str, hint: str, batch: int, threads: int, repeats: int) -> Dict:
    """Median wall time per inference and the summed per-layer counters (ms per inference)."""
    import openvino as ov
    core = ov.Core()
    model = core.read_model(xml)
    # the exported batch axis is dynamic; a static reshape would change how OpenVINO compiles
    # (and a static Mish subgraph fails to compile in some versions)
    shape = list(model.inputs[0].get_partial_shape().get_max_shape())
    compiled = core.compile_model(model, 'CPU', {
        'PERF_COUNT': 'YES', 'INFERENCE_NUM_THREADS': threads, 'NUM_STREAMS': 1,
        'INFERENCE_PRECISION_HINT': hint, 'PERFORMANCE_HINT': 'LATENCY'})
    request = compiled.create_infer_request()
    x = np.random.default_rng(0).standard_normal([batch] + shape[1:], dtype=np.float32)
    request.infer({0: x})
    walls, layers = [], defaultdict(float)
    for _ in range(repeats):
        start = time.perf_counter()
        request.infer({0: x})
        walls.append(time.perf_counter() - start)
        for p in request.profiling_info:
            if p.real_time.total_seconds() > 0:
                layers[f'{p.node_type} / {p.exec_type}'] += \
                    p.real_time.total_seconds() * 1e3 / repeats
    return dict(wall_ms=float(np.median(walls)) * 1e3, layers_ms=dict(
        sorted(layers.items(), key=lambda kv: -kv[1])))


def group(layer: str) -> str:
    """Coarse layer group: convolutions, deconvolutions, fully connected, everything else."""
    kind = layer.split(' / ')[0]
    if kind == 'Convolution':
        return 'conv'
    if kind == 'ConvolutionBackpropData':
        return 'deconv'
    if kind.startswith('FullyConnected') or kind == 'MatMul':
        return 'fully connected'
    return 'other (attention, Mish, pooling, reorders, (de)quantisation)'


def build_parser() -> argparse.ArgumentParser:
    """The command line."""
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0],
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument('--models', nargs='+', default=['eba-r34-mlp-384x288', 'simcc-r50-384x288'],
                   help='model folders under --work-dir (benchmark.py names)')
    p.add_argument('--work-dir', default='work_dirs/benchmark',
                   help='the benchmark\'s export cache')
    p.add_argument('--precisions', nargs='+', default=['bf16', 'int8'],
                   choices=sorted(PRECISIONS), help='rows to profile')
    p.add_argument('--batches', nargs='+', type=int, default=[1, 32], help='batch sizes')
    p.add_argument('--threads', type=int, default=1, help='OpenVINO inference threads')
    p.add_argument('--repeats', type=int, default=10, help='timed inferences per cell')
    p.add_argument('--top', type=int, default=8, help='kernels printed per cell')
    p.add_argument('--out', default='', help='JSON file to write ("" for none)')
    return p


def main(args: argparse.Namespace) -> Dict:
    result = dict(machine=machine_info(), threads=args.threads,
                  started=time.strftime('%Y-%m-%d %H:%M:%S'),
                  load_avg_start=list(os.getloadavg()), cells={})
    for name in args.models:
        for batch in args.batches:
            for precision in args.precisions:
                ir, hint = PRECISIONS[precision]
                xml = osp.join(args.work_dir, name, ir)
                if not osp.isfile(xml):
                    raise FileNotFoundError(f'{xml} not found: run tools/analysis/benchmark.py '
                                            f'--work-dir {args.work_dir} for this model first')
                repeats = args.repeats if batch == 1 else max(2, args.repeats // 4)
                cell = profile(xml, hint, batch, args.threads, repeats)
                groups = defaultdict(float)
                for layer, ms in cell['layers_ms'].items():
                    groups[group(layer)] += ms
                cell['groups_ms'] = dict(groups)
                result['cells'][f'{name} b{batch} {precision}'] = cell
                print(f'== {name}, batch {batch}, {precision}: {cell["wall_ms"]:.1f} ms')
                for layer, ms in list(cell['layers_ms'].items())[:args.top]:
                    print(f'   {layer:52s} {ms:8.2f} ms')
            if {'bf16', 'int8'} <= set(args.precisions):
                a = result['cells'][f'{name} b{batch} bf16']
                b = result['cells'][f'{name} b{batch} int8']
                print(f'-- {name}, batch {batch}: int8 is {a["wall_ms"] / b["wall_ms"]:.2f}x '
                      'faster than bf16; per group (bf16 ms -> int8 ms):')
                for g in sorted(set(a['groups_ms']) | set(b['groups_ms'])):
                    print(f'   {g:60s} {a["groups_ms"].get(g, 0):8.2f} -> '
                          f'{b["groups_ms"].get(g, 0):8.2f}')
    result['load_avg_end'] = list(os.getloadavg())
    if args.out:
        with open(args.out, 'w') as f:
            json.dump(result, f, indent=1)
            f.write('\n')
    return result


if __name__ == '__main__':
    run_tool(main, build_parser())
