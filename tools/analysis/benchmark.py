"""Benchmark EBA-PRNetCC against MMPose models across runtimes, in one run and one process.

Measures together: the machine's fp32, bf16 and int8 (VNNI) matmul throughput; for the paper's
five rows,
SimCC-R50 (256x192, 384x288, and 256x256 built from the 256x192 config, so every EBA row has a
SimCC-R50 reference at its own input size), SimpleBaseline-R50 and RTMPose-m: latency (batch 1)
and throughput (batch 32) in PyTorch eager, ONNX Runtime, OpenVINO fp32 and OpenVINO bf16, the
achieved GMAC/s, and the exported logits' difference from eager; int8 (post-training quantised
the way ``export_onnx.py --int8`` does it: NNCF for OpenVINO, static QDQ for ONNX Runtime, the
SimCC/heatmap output layer kept in fp32) in OpenVINO and ONNX Runtime; ONNX Runtime with the one-exp
Mish export for the models with Mish; the bridge-attention overhead; and the demo config's
training step (plain, channels_last, torch.compile). Results go to a JSON file after every
measurement, so an interrupted run resumes where it stopped; docs/benchmarks.md and a plot are
generated from that JSON.

    python tools/analysis/benchmark.py --out benchmarks/cpu_2core.json \
        --markdown docs/benchmarks.md --plot docs/benchmarks_latency_vs_macs.png
    python tools/analysis/benchmark.py --quick --out /tmp/quick.json   # tiny smoke run
    python tools/analysis/benchmark.py --render benchmarks/cpu_2core.json --markdown docs/benchmarks.md
"""
import argparse
import json
import os
import os.path as osp
import re
import sys
import time
import warnings
from typing import Dict, List, Optional

import numpy as np
import torch
from tqdm import tqdm

import eba_prnetcc_mmpose  # noqa: F401  (registers the plugin)
from eba_prnetcc_mmpose.deploy.onnx_export import export_model
from eba_prnetcc_mmpose.deploy.runtime import (InferenceSession, cpu_bf16_support,
                                               cpu_int8_support)
from eba_prnetcc_mmpose.utils.model_build import (RawForward, build_model, model_input_size,
                                                  resolve_config, short_config_name)

sys.path.append(osp.dirname(osp.dirname(osp.abspath(__file__))))  # tools/, for eba_tools
from eba_tools import DEMO_CONFIG, REPO  # noqa: E402
from eba_tools.bench_report import (INT8_RUNTIMES, MISH_RUNTIME, RUNTIMES,  # noqa: E402
                                    render_markdown, render_plot)
from eba_tools.bench_timing import (bench_attention_overhead, bench_eager,  # noqa: E402
                                    bench_train_step, int8_matmul_throughput,
                                    matmul_throughput, time_runs)
from eba_tools.cli import run_tool  # noqa: E402
from eba_tools.complexity import count_model  # noqa: E402
from eba_tools.machine import machine_info  # noqa: E402
from eba_tools.paper import PAPER_ROWS, ZOO_CONFIGS  # noqa: E402

SIMCC_R50 = 'SimCC R50'


def simcc_r50_at(w: int, h: int) -> Dict:
    """cfg_options that build MMPose's SimCC-R50 (256x192 config) at input (w, h)."""
    size = (w, h)
    return dict(model=dict(head=dict(input_size=size, in_featuremap_size=(w // 32, h // 32),
                                     decoder=dict(input_size=size))))


def model_list(quick: bool) -> List[Dict]:
    """Models to measure: name, config, cfg_options, reference flag (SimCC-R50 per size)."""
    zoo = {n: 'mmpose::' + rel for n, rel in ZOO_CONFIGS.items()}
    if quick:
        return [dict(name='EBA demo 128x96', config=DEMO_CONFIG),
                dict(name=f'{SIMCC_R50} 128x96', config=zoo['SimCC R50 256x192'],
                     cfg_options=simcc_r50_at(96, 128), reference=True)]
    rows = [dict(name=r['name'].replace('EBA-PRNetCC', 'EBA'), config=r['config'])
            for r in PAPER_ROWS]
    rows += [dict(name='SimCC R50 256x192', config=zoo['SimCC R50 256x192'], reference=True),
             dict(name='SimCC R50 384x288', config=zoo['SimCC R50 384x288'], reference=True),
             dict(name='SimCC R50 256x256', config=zoo['SimCC R50 256x192'],
                  cfg_options=simcc_r50_at(256, 256), reference=True,
                  note='MMPose 256x192 config rebuilt at 256x256 (no zoo weights at this size)'),
             dict(name='SimpleBaseline R50 256x192',
                  config=zoo['SimpleBaseline R50 256x192']),
             dict(name='RTMPose-m 256x192', config=zoo['RTMPose-m 256x192'])]
    return rows


class Results:
    """The JSON state of a run, saved atomically after every measurement."""

    def __init__(self, path: Optional[str], fresh: bool, settings: Dict, device: str):
        self.path = path
        self.data: Dict = {}
        if path and osp.isfile(path) and not fresh:
            with open(path) as f:
                self.data = json.load(f)
            if not isinstance(self.data.get('models'), dict):
                print(f'{path} is in the old (single-runtime) format: starting over')
                self.data = {}
        if self.data:
            keys = ('quick', 'batches', 'threads')
            old = {k: self.data.get('settings', {}).get(k) for k in keys}
            new = {k: settings.get(k) for k in old}
            if old != new:
                raise ValueError(f'{path} was written with settings {old}, this run has {new}: '
                                 f'pass --fresh to start over or another --out')
            print(f'resuming {path}')
        self.data.setdefault('machine', machine_info(device))
        self.data.setdefault('started', time.strftime('%Y-%m-%d %H:%M:%S'))
        self.data['settings'] = settings
        self.data.setdefault('models', {})

    def get(self, *keys):
        d = self.data
        for k in keys:
            if not isinstance(d, dict) or k not in d:
                return None
            d = d[k]
        return d

    def put(self, value, *keys) -> None:
        d = self.data
        for k in keys[:-1]:
            d = d.setdefault(k, {})
        d[keys[-1]] = value
        self.save()

    def save(self) -> None:
        if not self.path:
            return
        self.data['updated'] = time.strftime('%Y-%m-%d %H:%M:%S')
        self.data['machine']['load_avg_last'] = list(os.getloadavg())
        os.makedirs(osp.dirname(osp.abspath(self.path)), exist_ok=True)
        tmp = self.path + '.tmp'
        with open(tmp, 'w') as f:
            json.dump(self.data, f, indent=1)
        os.replace(tmp, self.path)


def signal_preserving_init(model: torch.nn.Module) -> None:
    """Re-initialise convolutions and linear layers (Kaiming, fan-in) so that outputs depend on
    the input at O(1) scale. MMPose's default init gives SimCC logits that barely depend on the
    input (~1e-5), which would make the export-vs-eager comparison vacuous; timings do not
    depend on the weights' values."""
    for mod in model.modules():
        if isinstance(mod, (torch.nn.Conv2d, torch.nn.ConvTranspose2d, torch.nn.Linear)):
            torch.nn.init.kaiming_normal_(mod.weight, mode='fan_in', nonlinearity='relu')
            if mod.bias is not None:
                torch.nn.init.zeros_(mod.bias)


def calibration_set(model: torch.nn.Module, w: int, h: int, num: int) -> np.ndarray:
    """int8 calibration crops for a timed model: person crops of the synthetic training set
    (``data/synthetic_coco``, made by the predictor's preprocessing at the model's input size)
    when it is there, else standard-normal images. Timing does not depend on them; they keep
    the quantisation ranges those of images."""
    from eba_prnetcc_mmpose.deploy.quantize import calibration_crops, coco_calibration_samples
    from eba_prnetcc_mmpose.utils.model_build import preprocess_info
    root = osp.join(REPO, 'data', 'synthetic_coco')
    ann = osp.join(root, 'annotations', 'person_keypoints_train.json')
    if osp.isfile(ann):
        meta = dict(input_size=[w, h], bbox_padding=1.25, **preprocess_info(model))
        return calibration_crops(coco_calibration_samples(ann, osp.join(root, 'images', 'train'),
                                                          num), meta)
    return np.random.default_rng(0).standard_normal((num, 3, h, w), dtype=np.float32)


def slug(name: str) -> str:
    return re.sub(r'[^A-Za-z0-9]+', '-', name).strip('-').lower()


def bench_model(spec: Dict, res: Results, args, say) -> None:
    """Every runtime x batch cell of one model that the results do not have yet."""
    name = spec['name']
    runtimes = [r for r in RUNTIMES + INT8_RUNTIMES if r in args.runtimes]
    batches = [str(b) for b in args.batches]
    config = resolve_config(spec['config'] if spec['config'].startswith('mmpose::')
                            else osp.join(REPO, spec['config']))
    torch.manual_seed(0)  # the same random weights in every run, so cached exports stay valid
    model, cfg = build_model(config, spec.get('cfg_options'), device=args.device)
    signal_preserving_init(model)
    model.eval()
    w, h = model_input_size(model)
    has_mish = any(isinstance(m, torch.nn.Mish) for m in model.modules())
    entry = res.get('models', name)
    if entry is None:
        say(f'{name}: counting')
        c = count_model(model)
        entry = dict(name=name, config=short_config_name(config, REPO),
                     cfg_options=spec.get('cfg_options'), note=spec.get('note'),
                     reference=bool(spec.get('reference')), input_hw=[h, w],
                     params_M=c['params'] / 1e6, GMACs=c['flops'] / 1e9, has_mish=has_mish,
                     runs={}, logit_diff={})
        res.put(entry, 'models', name)
    cells = [(rt, b) for rt in runtimes for b in batches]
    if has_mish and MISH_RUNTIME in args.runtimes:
        cells += [(MISH_RUNTIME, b) for b in batches]
    todo = [(rt, b) for rt, b in cells if res.get('models', name, 'runs', rt, b) is None]
    if not todo:
        return
    export_dir = osp.join(args.work_dir, slug(name))
    probe = torch.randn(2, 3, h, w, device=args.device)
    with torch.no_grad():
        ref_out = [o.cpu().numpy() for o in RawForward(model, False)(probe)]
    simcc = len(ref_out) == 2  # SimCC-style (x, y) logits; heatmap heads give one output
    sessions: Dict[str, InferenceSession] = {}

    def session(rt: str) -> InferenceSession:
        if rt in sessions:
            return sessions[rt]
        # ONNX Runtime int8 quantises the graph export_onnx.py ships to it (one-exp Mish)
        one_exp = rt == MISH_RUNTIME or (rt == 'onnxruntime-int8' and has_mish)
        onnx = osp.join(export_dir, 'model-1exp.onnx' if one_exp else 'model.onnx')
        need_ir = rt.startswith('openvino')
        want_ir = not one_exp and any(r.startswith('openvino') for r in args.runtimes)
        if not osp.isfile(onnx) or (need_ir and not osp.isfile(onnx[:-5] + '.xml')):
            say(f'{name}: export' + (' (one-exp Mish)' if one_exp else ''))
            with warnings.catch_warnings():
                warnings.simplefilter('ignore')
                export_model(model, cfg, onnx, require_simcc=simcc,
                             openvino_ir=need_ir or want_ir, one_exp_mish=one_exp)
        backend = 'openvino' if need_ir else 'onnxruntime'
        precision = rt.rsplit('-', 1)[1] if rt in INT8_RUNTIMES + ('openvino-bf16', ) else 'fp32'
        if precision == 'int8':
            from eba_prnetcc_mmpose.deploy.quantize import int8_paths, quantize_export
            if not osp.isfile(int8_paths(onnx)[backend]):
                say(f'{name}: int8 quantisation ({backend}, {args.calib_num} crops)')
                with warnings.catch_warnings():
                    warnings.simplefilter('ignore')
                    info = quantize_export(onnx, calibration_set(model, w, h, args.calib_num),
                                           backends=(backend, ), write_meta=False)
                res.put(info[backend], 'models', name, 'int8', backend)
        sess = InferenceSession(onnx, backend, precision, num_threads=args.threads)
        # the export reproduces eager: max |logit difference| on a random batch of two
        outs = sess(probe.cpu().numpy())
        res.put(dict(max_abs_diff=float(max(np.abs(a - b).max() for a, b in zip(outs, ref_out))),
                     max_abs_output=float(max(np.abs(b).max() for b in ref_out))),
                'models', name, 'logit_diff', rt)
        sessions[rt] = sess
        return sess

    for rt, b in todo:
        bs = int(b)
        warmup, repeats = ((args.warmup, args.repeats) if bs == 1
                           else (args.warmup_large, args.repeats_large))
        say(f'{name}: {rt} batch {b}')
        if rt == 'openvino-bf16' and not cpu_bf16_support():
            res.put(dict(skipped='this CPU has no native bf16'), 'models', name, 'runs', rt, b)
            continue
        if rt in INT8_RUNTIMES and not cpu_int8_support():
            res.put(dict(skipped='this CPU has no VNNI/AMX int8'), 'models', name, 'runs', rt, b)
            continue
        if rt == 'eager':
            r = bench_eager(model, bs, (h, w), args.device, warmup, repeats)
        else:
            sess = session(rt)
            x = np.random.default_rng(0).standard_normal((bs, 3, h, w), dtype=np.float32)
            r = time_runs(lambda: sess(x), warmup, repeats)
            r['images_per_s'] = bs / (r['median_ms'] / 1e3)
        r['GMAC_per_s'] = entry['GMACs'] * r['images_per_s']
        r['load_avg_1min'] = os.getloadavg()[0]  # flagged in the report when others were busy
        res.put(r, 'models', name, 'runs', rt, b)


def run(args) -> Results:
    settings = {k: v for k, v in vars(args).items() if k not in ('render', 'debug')}
    res = Results(args.out, args.fresh, settings, args.device)
    torch.set_num_threads(args.threads)
    res.data['machine']['torch_threads'] = torch.get_num_threads()
    mm_n = 512 if args.quick else 2048

    def matmuls() -> Dict:
        out = {d: matmul_throughput(getattr(torch, {'fp32': 'float32', 'bf16': 'bfloat16'}[d]),
                                    mm_n, device=args.device) for d in ('fp32', 'bf16')}
        out['int8'] = int8_matmul_throughput(mm_n)
        return out

    if res.get('matmul') is None:
        print('matmul throughput (fp32, bf16, int8)')
        res.put(matmuls(), 'matmul')
    specs = model_list(args.quick)
    if args.models:
        specs = [s for s in specs if any(m.lower() in s['name'].lower() for m in args.models)]
    bar = tqdm(specs, desc='models', file=sys.stdout)
    for spec in bar:
        bench_model(spec, res, args, lambda m: bar.set_postfix_str(m))
    if not args.skip_extras:
        if res.get('attention_overhead') is None:
            print('attention overhead (EBA-ResNet vs ResNet, backbone)')
            depth, hw = (18, (128, 96)) if args.quick else (34, (384, 288))
            res.put(bench_attention_overhead(depth, hw, 1, args.device, args.warmup,
                                             args.repeats), 'attention_overhead')
        variants = ('plain', ) if args.quick else ('plain', 'channels_last', 'compile',
                                                   'compile_modules')
        for variant in variants:
            if res.get('train_step', variant) is None:
                print(f'training step ({osp.basename(DEMO_CONFIG)}, batch {args.train_batch}, '
                      f'{variant})')
                r = bench_train_step(DEMO_CONFIG, args.train_batch, args.train_steps, 1,
                                     args.device,
                                     channels_last=variant == 'channels_last',
                                     compile={'compile': 'train_step',
                                              'compile_modules': 'modules'}.get(variant, False))
                r['config'] = osp.relpath(DEMO_CONFIG, REPO)
                res.put(r, 'train_step', variant)
    if res.get('matmul_end') is None:
        res.put(matmuls(), 'matmul_end')
    res.data['finished'] = time.strftime('%Y-%m-%d %H:%M:%S')
    res.save()
    return res


def ab_probe(args) -> Dict:
    """Interleaved A/B timing of two measured cells (``MODEL=RUNTIME``) of an existing run,
    from its cached exports: pairs alternate A and B, so load from other work hits both alike;
    the median of the per-pair time ratios A/B and its inter-quartile range, per batch."""
    import statistics
    with open(args.out) as f:
        data = json.load(f)
    sessions, shapes = [], []
    for spec in args.ab:
        name, _, rt = spec.partition('=')
        entry = data['models'].get(name)
        if entry is None or rt not in RUNTIMES + INT8_RUNTIMES + (MISH_RUNTIME, ):
            raise ValueError(f'--ab {spec}: expected MODEL=RUNTIME with a model of {args.out} '
                             f'({", ".join(data["models"])}) and a runtime of --runtimes')
        one_exp = rt == MISH_RUNTIME or (rt == 'onnxruntime-int8' and entry['has_mish'])
        onnx = osp.join(args.work_dir, slug(name), 'model-1exp.onnx' if one_exp else 'model.onnx')
        backend = 'openvino' if rt.startswith('openvino') else 'onnxruntime'
        precision = rt.rsplit('-', 1)[1] if rt in INT8_RUNTIMES + ('openvino-bf16', ) else 'fp32'
        if not osp.isfile(onnx):
            raise FileNotFoundError(f'{onnx} not found: run the benchmark for {name} first')
        sessions.append(InferenceSession(onnx, backend, precision, num_threads=args.threads))
        shapes.append(entry['input_hw'])
    out = dict(a=args.ab[0], b=args.ab[1], started=time.strftime('%Y-%m-%d %H:%M:%S'),
               load_avg_start=list(os.getloadavg()), batches={})
    for bs, pairs in ((args.batches[0], args.ab_pairs),
                      (args.batches[1], max(3, args.ab_pairs // 5))):
        xs = [np.random.default_rng(0).standard_normal((bs, 3, *hw), dtype=np.float32)
              for hw in shapes]
        for s_, x in zip(sessions, xs):
            s_(x)
        ratios, times = [], ([], [])
        for _ in range(pairs):
            t = []
            for s_, x in zip(sessions, xs):
                start = time.perf_counter()
                s_(x)
                t.append(time.perf_counter() - start)
            ratios.append(t[0] / t[1])
            times[0].append(t[0] * 1e3)
            times[1].append(t[1] * 1e3)
        q = statistics.quantiles(ratios, n=4)
        out['batches'][str(bs)] = dict(pairs=pairs, median_ratio=statistics.median(ratios),
                                       ratio_q1=q[0], ratio_q3=q[2],
                                       median_ms=[statistics.median(t) for t in times])
        print(f'batch {bs}: {args.ab[0]} / {args.ab[1]} = {statistics.median(ratios):.3f} '
              f'(IQR {q[0]:.3f}-{q[2]:.3f}, {pairs} pairs)')
    out['load_avg_end'] = list(os.getloadavg())
    data.setdefault('ab', []).append(out)
    tmp = args.out + '.tmp'
    with open(tmp, 'w') as f:
        json.dump(data, f, indent=1)
    os.replace(tmp, args.out)
    return data


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0],
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument('--device', default='cpu', help='cpu or cuda (eager; ORT CUDA provider)')
    p.add_argument('--threads', type=int, default=os.cpu_count(),
                   help='threads of torch, ONNX Runtime and OpenVINO')
    p.add_argument('--batches', type=int, nargs=2, default=[1, 32],
                   metavar=('LATENCY', 'THROUGHPUT'), help='the two batch sizes')
    p.add_argument('--warmup', type=int, default=3, help='warm-up runs at the latency batch')
    p.add_argument('--repeats', type=int, default=10, help='timed runs at the latency batch')
    p.add_argument('--warmup-large', type=int, default=1,
                   help='warm-up runs at the throughput batch')
    p.add_argument('--repeats-large', type=int, default=3,
                   help='timed runs at the throughput batch')
    p.add_argument('--runtimes', nargs='+',
                   default=list(RUNTIMES) + [MISH_RUNTIME] + list(INT8_RUNTIMES),
                   choices=list(RUNTIMES) + [MISH_RUNTIME] + list(INT8_RUNTIMES),
                   help='runtimes to measure')
    p.add_argument('--calib-num', type=int, default=32,
                   help='int8 calibration crops per model (timing does not depend on them)')
    p.add_argument('--models', nargs='+', default=None,
                   help='only models whose name contains one of these (case-insensitive)')
    p.add_argument('--train-batch', type=int, default=32, help='batch of the training step')
    p.add_argument('--train-steps', type=int, default=5, help='timed training steps')
    p.add_argument('--skip-extras', action='store_true',
                   help='skip the attention-overhead and training-step sections')
    p.add_argument('--work-dir', default='work_dirs/benchmark',
                   help='exported models are cached here (reused on resume)')
    p.add_argument('--quick', action='store_true',
                   help='tiny smoke run: the demo model and SimCC-R50 at 128x96, batches 1 and '
                   '2, two repeats (for tests/CI; its numbers mean nothing)')
    p.add_argument('--fresh', action='store_true',
                   help='ignore an existing --out file instead of resuming it')
    p.add_argument('--out', default=None, help='results JSON (written after every measurement)')
    p.add_argument('--markdown', default=None, help='render the results to this markdown file')
    p.add_argument('--plot', default=None, help='write the latency-vs-MACs plot (PNG) here')
    p.add_argument('--ab', nargs=2, metavar=('MODEL=RUNTIME', 'MODEL=RUNTIME'), default=None,
                   help='instead of a run: time two cells of the --out run in interleaved pairs '
                   '(robust to load from other work) and add the ratio to its JSON, e.g. '
                   '--ab "EBA R34 MLP 384x288=openvino-int8" "EBA R34 MLP 384x288=openvino-bf16"')
    p.add_argument('--ab-pairs', type=int, default=20,
                   help='pairs at the latency batch (a fifth, at least 3, at the throughput one)')
    p.add_argument('--render', default=None,
                   help='only render an existing results JSON (no measuring)')
    return p


def main(args: argparse.Namespace) -> None:
    if args.quick:
        args.batches, args.warmup, args.repeats = [1, 2], 1, 2
        args.warmup_large, args.repeats_large = 1, 1
        args.train_batch, args.train_steps, args.calib_num = 4, 1, 4
        args.work_dir = osp.join(args.work_dir, 'quick')
    if args.ab:
        if not args.out or not osp.isfile(args.out):
            raise FileNotFoundError(f'--ab needs --out, the JSON of a run to probe (got '
                                    f'{args.out})')
        data = ab_probe(args)
        data.setdefault('source', args.out)
        if args.markdown:
            if args.plot:
                render_plot(data, args.plot)
            with open(args.markdown, 'w') as f:
                f.write(render_markdown(data, args.plot))
            print(f'wrote {args.markdown}')
        return
    if args.render:
        with open(args.render) as f:
            data = json.load(f)
        data.setdefault('source', args.render)
    else:
        if min(args.batches) < 1 or args.threads < 1 or args.repeats < 1:
            raise ValueError('--batches, --threads and --repeats must be >= 1')
        data = run(args).data
        data['source'] = args.out or '(not saved)'
        if args.out:
            print(f'wrote {args.out}')
    if args.plot:
        render_plot(data, args.plot)
        print(f'wrote {args.plot}')
    md = render_markdown(data, args.plot)
    if args.markdown:
        with open(args.markdown, 'w') as f:
            f.write(md)
        print(f'wrote {args.markdown}')
    else:
        print(md)


if __name__ == '__main__':
    run_tool(main, build_parser())
