"""Benchmark EBA-PRNetCC against MMPose models across runtimes, in one run and one process.

Measures together: the machine's fp32 and bf16 matmul throughput; for the paper's five rows,
SimCC-R50 (256x192, 384x288, and 256x256 built from the 256x192 config, so every EBA row has a
SimCC-R50 reference at its own input size), SimpleBaseline-R50 and RTMPose-m: latency (batch 1)
and throughput (batch 32) in PyTorch eager, ONNX Runtime, OpenVINO fp32 and OpenVINO bf16, the
achieved GMAC/s, and the exported logits' difference from eager; ONNX Runtime with the one-exp
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
from eba_prnetcc_mmpose.analysis import count_model
from eba_prnetcc_mmpose.analysis.benchmark import (bench_attention_overhead, bench_eager,
                                                   bench_train_step, machine_info,
                                                   matmul_throughput, time_runs)
from eba_prnetcc_mmpose.cli import run_tool
from eba_prnetcc_mmpose.deploy.onnx_export import export_model
from eba_prnetcc_mmpose.deploy.runtime import InferenceSession, cpu_bf16_support
from eba_prnetcc_mmpose.paper import PAPER_ROWS, ZOO_CONFIGS
from eba_prnetcc_mmpose.utils.model_build import (RawForward, build_model, model_input_size,
                                                  resolve_config, short_config_name)

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
DEMO = osp.join(REPO, 'configs', 'demo', 'simcc_eba-res18-mlp_1xb16-30e_synthcoco-128x96.py')
RUNTIMES = ('eager', 'onnxruntime', 'openvino-fp32', 'openvino-bf16')
MISH_RUNTIME = 'onnxruntime-1exp-mish'
RUNTIME_LABELS = {'eager': 'PyTorch eager', 'onnxruntime': 'ONNX Runtime',
                  'openvino-fp32': 'OpenVINO fp32', 'openvino-bf16': 'OpenVINO bf16',
                  MISH_RUNTIME: 'ONNX Runtime, one-exp Mish'}
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
        return [dict(name='EBA demo 128x96', config=DEMO),
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


def slug(name: str) -> str:
    return re.sub(r'[^A-Za-z0-9]+', '-', name).strip('-').lower()


def bench_model(spec: Dict, res: Results, args, say) -> None:
    """Every runtime x batch cell of one model that the results do not have yet."""
    name = spec['name']
    runtimes = [r for r in RUNTIMES if r in args.runtimes]
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
        one_exp = rt == MISH_RUNTIME
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
        precision = 'bf16' if rt.endswith('bf16') else 'fp32'
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
        if rt == 'eager':
            r = bench_eager(model, bs, (h, w), args.device, warmup, repeats)
        else:
            sess = session(rt)
            x = np.random.default_rng(0).standard_normal((bs, 3, h, w), dtype=np.float32)
            r = time_runs(lambda: sess(x), warmup, repeats)
            r['images_per_s'] = bs / (r['median_ms'] / 1e3)
        r['GMAC_per_s'] = entry['GMACs'] * r['images_per_s']
        res.put(r, 'models', name, 'runs', rt, b)


def run(args) -> Results:
    settings = {k: v for k, v in vars(args).items() if k not in ('render', 'debug')}
    res = Results(args.out, args.fresh, settings, args.device)
    torch.set_num_threads(args.threads)
    res.data['machine']['torch_threads'] = torch.get_num_threads()
    mm_n = 512 if args.quick else 2048
    if res.get('matmul') is None:
        print('matmul throughput (fp32, bf16)')
        res.put({d: matmul_throughput(getattr(torch, {'fp32': 'float32', 'bf16': 'bfloat16'}[d]),
                                      mm_n, device=args.device) for d in ('fp32', 'bf16')},
                'matmul')
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
                print(f'training step ({osp.basename(DEMO)}, batch {args.train_batch}, '
                      f'{variant})')
                r = bench_train_step(DEMO, args.train_batch, args.train_steps, 1, args.device,
                                     channels_last=variant == 'channels_last',
                                     compile={'compile': 'train_step',
                                              'compile_modules': 'modules'}.get(variant, False))
                r['config'] = osp.relpath(DEMO, REPO)
                res.put(r, 'train_step', variant)
    if res.get('matmul_end') is None:
        res.put({d: matmul_throughput(getattr(torch, {'fp32': 'float32', 'bf16': 'bfloat16'}[d]),
                                      mm_n, device=args.device) for d in ('fp32', 'bf16')},
                'matmul_end')
    res.data['finished'] = time.strftime('%Y-%m-%d %H:%M:%S')
    res.save()
    return res


# ----------------------------------------------------------------------------- rendering


def _cell(row: Dict, rt: str, b: str) -> Optional[Dict]:
    c = row.get('runs', {}).get(rt, {}).get(b)
    return c if c and 'median_ms' in c else None


def _reference(rows: List[Dict], row: Dict) -> Optional[Dict]:
    return next((r for r in rows if r.get('reference') and r['input_hw'] == row['input_hw']),
                None)


def time_ratio(rows: List[Dict], row: Dict, rt: str, b: str) -> Optional[float]:
    """Model time / SimCC-R50 time at the same input size, same runtime and batch."""
    ref = _reference(rows, row)
    ref_rt = 'onnxruntime' if rt == MISH_RUNTIME else rt  # references have no Mish
    a, r = _cell(row, rt, b), _cell(ref, ref_rt, b) if ref else None
    return a['median_ms'] / r['median_ms'] if a and r else None


def best(row: Dict, b: str, runtimes=RUNTIMES + (MISH_RUNTIME, )):
    cells = [(c['median_ms'], rt) for rt in runtimes if (c := _cell(row, rt, b))]
    return min(cells) if cells else (None, None)


def goals(rows: List[Dict], b: str = '1') -> List[str]:
    """The issue's goals, checked on the measured numbers (same run)."""
    by = {r['name']: r for r in rows}
    out = []
    eba, ref = by.get('EBA R34 MLP 384x288'), by.get('SimCC R50 384x288')
    if eba and ref:
        (te, rte), (tr, rtr) = best(eba, b), best(ref, b)
        if te and tr:
            mac = eba['GMACs'] / ref['GMACs']
            out.append(f'EBA-R34-384 best ({RUNTIME_LABELS[rte]}, {te:.1f} ms) / SimCC-R50-384 '
                       f'best ({RUNTIME_LABELS[rtr]}, {tr:.1f} ms) = **{te / tr:.2f}** '
                       f'(goal <= MAC ratio {mac:.2f}): '
                       + ('met' if te / tr <= mac else 'missed'))
        ort, f32, bf = (_cell(eba, rt, b) for rt in ('onnxruntime', 'openvino-fp32',
                                                     'openvino-bf16'))
        if ort and f32:
            s = ort['median_ms'] / f32['median_ms']
            out.append(f'EBA-R34-384 OpenVINO fp32 vs ONNX Runtime: **{s:.2f}x** faster '
                       f'(goal >= 1.5x): ' + ('met' if s >= 1.5 else 'missed'))
        if f32 and bf:
            s = f32['median_ms'] / bf['median_ms']
            out.append(f'EBA-R34-384 OpenVINO bf16 vs fp32: **{s:.2f}x** faster (goal >= 1.7x): '
                       + ('met' if s >= 1.7 else 'missed'))
    for row in rows:
        if not row['name'].startswith('EBA') or not _reference(rows, row):
            continue
        ref = _reference(rows, row)
        mac = row['GMACs'] / ref['GMACs']
        bad = [(rt, t) for rt in RUNTIMES + (MISH_RUNTIME, )
               if (t := time_ratio(rows, row, rt, b)) is not None and t > mac * 1.1]
        out.append(f"{row['name']} vs {ref['name']} (MAC ratio {mac:.2f}, allowed time ratio "
                   f'{mac * 1.1:.2f}): ' + ('met in every runtime' if not bad else 'missed in '
                   + ', '.join(f'{RUNTIME_LABELS[rt]} ({t:.2f})' for rt, t in bad)))
    return out


def render_markdown(res: Dict, plot: Optional[str] = None) -> str:
    """docs/benchmarks.md from a results JSON (nothing typed by hand)."""
    m, s = res['machine'], res['settings']
    rows = list(res['models'].values())
    b1, bn = (str(b) for b in s['batches'])
    dev = m.get('gpu') or f"{m['cpu']} ({m['cpu_count']} cores, {m['torch_threads']} threads)"
    mm, mm_end = res.get('matmul', {}), res.get('matmul_end', {})
    lines = [
        '# Benchmarks (measured)', '',
        '<!-- generated by tools/analysis/benchmark.py from the JSON named at the end; do not '
        'edit -->', '',
        f"Measured {res['started']} to {res.get('finished', res.get('updated', '?'))} on "
        f"**{dev}** (flags: {', '.join(m.get('cpu_flags', [])) or '–'}), {m['platform']}, "
        f"Python {m['python']}, torch {m['torch']}, onnxruntime {m.get('onnxruntime', '–')}, "
        f"openvino {m.get('openvino', '–')}; device `{m['device']}`. Load average at start "
        f"{m.get('load_avg_start', ['?'])[0]}, at the last measurement "
        f"{m.get('load_avg_last', ['?'])[0]} (other work on the machine inflates and spreads "
        'the times).', '',
        f"Random weights (Kaiming init, so outputs depend on the input) and inputs at each "
        f"model's own input size, backbone + head only "
        f"(no pre/post-processing). Batch {b1}: {s['warmup']} warm-up + {s['repeats']} timed "
        f"runs; batch {bn}: {s['warmup_large']} + {s['repeats_large']} (fewer, to keep the "
        'run within its time budget). Median ms (± inter-quartile range). '
        '**t/t_ref** = model time / SimCC-R50 time *at the same input size* in the same runtime '
        '(<1: faster); **MAC/ref** = the same ratio of multiply-accumulates, what the time '
        'ratio would be if both models ran at the same GMAC/s. MACs: MMEngine counter, all '
        'layers. SimCC-R50 256x256 is MMPose\'s 256x192 config rebuilt at 256x256 (the zoo has '
        'no such model) so the 256x256 rows have a same-size reference.', '']
    if mm:
        lines += ['## Machine arithmetic throughput (same run)', '',
                  '| matmul (2 threads as the models) | start GMAC/s | end GMAC/s |',
                  '|---|---|---|']
        for d in ('fp32', 'bf16'):
            lines.append(f"| {mm[d]['n']}x{mm[d]['n']} {d} | {mm[d]['GMAC_per_s']:.1f} | "
                         f"{mm_end.get(d, {}).get('GMAC_per_s', float('nan')):.1f} |")
        lines += ['', '1 MAC = 2 FLOP. A model\'s achieved GMAC/s (below) can exceed the matmul '
                  'figure: fast convolutions (Winograd-style, as OpenVINO uses) do fewer '
                  'multiplications than the MACs they are credited with.', '']
    for b, what in ((b1, 'latency'), (bn, 'throughput')):
        lines += [f'## Batch {b} ({what})', '',
                  '| model | input | params M | GMACs | MAC/ref | '
                  + ' | '.join(f'{RUNTIME_LABELS[rt]} {"ms" if b == b1 else "img/s"} | t/t_ref'
                               for rt in RUNTIMES) + ' |',
                  '|' + '---|' * (5 + 2 * len(RUNTIMES))]
        for r in rows:
            ref = _reference(rows, r)
            cells = []
            for rt in RUNTIMES:
                c = _cell(r, rt, b)
                raw = r.get('runs', {}).get(rt, {}).get(b) or {}
                if c is None:
                    cells += ['skipped' if 'skipped' in raw else '–', '–']
                    continue
                t = time_ratio(rows, r, rt, b)
                v = (f"{c['median_ms']:.1f} ± {c['iqr_ms']:.1f}" if b == b1
                     else f"{c['images_per_s']:.1f}")
                cells += [v, f'{t:.2f}' if t else '–']
            mac = f"{r['GMACs'] / ref['GMACs']:.2f}" if ref else '–'
            lines.append(f"| {r['name']} | {r['input_hw'][0]}x{r['input_hw'][1]} | "
                         f"{r['params_M']:.1f} | {r['GMACs']:.2f} | {mac} | "
                         + ' | '.join(cells) + ' |')
        lines.append('')
    if mm:
        lines += [f'## Achieved GMAC/s at batch {bn} (and % of the matmul figure of that '
                  'precision)', '',
                  '| model | ' + ' | '.join(RUNTIME_LABELS[rt] for rt in RUNTIMES) + ' |',
                  '|' + '---|' * (1 + len(RUNTIMES))]
        for r in rows:
            cells = []
            for rt in RUNTIMES:
                c = _cell(r, rt, bn)
                ceiling = mm['bf16' if rt.endswith('bf16') else 'fp32']['GMAC_per_s']
                cells.append(f"{c['GMAC_per_s']:.0f} ({100 * c['GMAC_per_s'] / ceiling:.0f} %)"
                             if c else '–')
            lines.append(f"| {r['name']} | " + ' | '.join(cells) + ' |')
        lines.append('')
    lines += ['## Goals (issue 10), checked on these numbers at batch 1', '']
    lines += [f'- {g}' for g in goals(rows, b1)] or ['- (not enough rows measured)']
    mish_rows = [r for r in rows if _cell(r, MISH_RUNTIME, b1)]
    if mish_rows:
        lines += ['', '## Mish in ONNX Runtime: Softplus-Tanh-Mul vs one-exp export', '',
                  'One-exp export: `x * n / (n + 2)`, `n = e^x (e^x + 2)`, exponent clamped at '
                  '20 (eba_prnetcc_mmpose/deploy/mish.py); `tools/deployment/export_onnx.py` '
                  'writes it by default (`--standard-mish` for Softplus-Tanh-Mul) because it '
                  'measured faster in A/B probes (docs/deploy.md); keep that default only while '
                  'the speed-up below stays > 1. Logit differences are absolute, largest logit '
                  'in brackets.', '',
                  f'| model | ORT b{b1} ms | one-exp b{b1} ms | speed-up | ORT b{bn} img/s | '
                  f'one-exp b{bn} img/s | max abs logit diff vs eager (one-exp / standard) |',
                  '|---|---|---|---|---|---|---|']
        for r in mish_rows:
            o1, e1 = _cell(r, 'onnxruntime', b1), _cell(r, MISH_RUNTIME, b1)
            on, en = _cell(r, 'onnxruntime', bn), _cell(r, MISH_RUNTIME, bn)
            d = r.get('logit_diff', {})
            lines.append(
                f"| {r['name']} | {o1['median_ms']:.1f} | {e1['median_ms']:.1f} | "
                f"{o1['median_ms'] / e1['median_ms']:.2f}x | "
                f"{on['images_per_s']:.1f} | {en['images_per_s']:.1f} | " if o1 and on and en
                else f"| {r['name']} | – | – | – | – | – | ")
            lines[-1] += (f"{d.get(MISH_RUNTIME, {}).get('max_abs_diff', float('nan')):.1e} / "
                          f"{d.get('onnxruntime', {}).get('max_abs_diff', float('nan')):.1e} "
                          f"({d.get('onnxruntime', {}).get('max_abs_output', float('nan')):.3g})"
                          ' |')
    lines += ['', '## Exported models reproduce eager', '',
              'Max abs difference of the outputs (logits or heatmaps) from eager PyTorch on a '
              'random batch of two, relative to the largest output magnitude (in brackets); '
              'fp32 should be ~1e-6, bf16 ~1e-2 (8 significant bits):', '',
              '| model | ' + ' | '.join(RUNTIME_LABELS[rt] for rt in RUNTIMES[1:]) + ' |',
              '|' + '---|' * len(RUNTIMES)]
    for r in rows:
        d = r.get('logit_diff', {})
        lines.append(f"| {r['name']} | " + ' | '.join(
            f"{d[rt]['max_abs_diff'] / d[rt]['max_abs_output']:.1e} "
            f"({d[rt]['max_abs_output']:.3g})" if rt in d else '–'
            for rt in RUNTIMES[1:]) + ' |')
    a = res.get('attention_overhead')
    if a:
        lines += [
            '', '## Bridge attention overhead (eager)', '',
            f"Backbone only, {a['input_hw'][0]}x{a['input_hw'][1]}, batch {a['batch']}:", '',
            '| backbone | ms | × ResNet time | params M |', '|---|---|---|---|',
            f"| MMPose ResNet-{a['depth']} (ReLU) | {a['resnet']['median_ms']:.1f} | 1.000 | "
            f"{a['resnet']['params_M']:.2f} |",
            f"| EBA-ResNet-{a['depth']}, ReLU trunk (bridge attention alone) | "
            f"{a['eba_resnet_relu']['median_ms']:.1f} | {a['time_ratio_attention_only']:.3f} | "
            f"{a['eba_resnet_relu']['params_M']:.2f} |",
            f"| EBA-ResNet-{a['depth']}, Mish trunk (paper) | {a['eba_resnet']['median_ms']:.1f}"
            f" | {a['time_ratio']:.3f} | {a['eba_resnet']['params_M']:.2f} |"]
    t = res.get('train_step') or {}
    if t.get('plain'):
        p = t['plain']
        lines += ['', '## Training step (CPU)', '',
                  f"`{p['config']}`, batch {p['batch']}: MMEngine `train_step` (preprocessor, "
                  'forward, loss, backward, Adam step) on random data, loading excluded. '
                  '`compile` = `torch.compile(model.train_step)` as MMEngine\'s '
                  '`compile=True`; `compile_modules` = backbone and head compiled '
                  '(`nn.Module.compile`); first call (compilation) timed separately. Adopted '
                  'for the main job only if >= 1.2x faster than plain.', '',
                  '| variant | ms / step | images/s | × plain | compile s |',
                  '|---|---|---|---|---|']
        for k, v in t.items():
            if 'error' in v:
                lines.append(f"| {k} | fails: {v['error'][:160]} | – | – | – |")
                continue
            lines.append(f"| {k} | {v['median_ms']:.0f} ± {v['iqr_ms']:.0f} | "
                         f"{v['images_per_s']:.1f} | {p['median_ms'] / v['median_ms']:.2f} | "
                         f"{v['compile_s']:.0f} |" if v.get('compile_s') else
                         f"| {k} | {v['median_ms']:.0f} ± {v['iqr_ms']:.0f} | "
                         f"{v['images_per_s']:.1f} | {p['median_ms'] / v['median_ms']:.2f} | – |")
    if m['device'] == 'cpu':
        lines += ['', '## GPU', '', 'Not measured: this run had no GPU. The CUDA code paths '
                  '(`--device cuda`, `--amp`, ONNX Runtime\'s CUDA provider) are kept but no '
                  'GPU number in this project has been measured.']
    if plot:
        lines += ['', f'![latency vs MACs per runtime]({osp.basename(plot)})']
    lines += ['', f"Source: `{res.get('source', '(not saved)')}`.", '']
    return '\n'.join(lines)


def render_plot(res: Dict, out: str) -> None:
    """Latency (batch 1) against GMACs, one panel per runtime; EBA rows filled."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    rows = list(res['models'].values())
    b1 = str(res['settings']['batches'][0])
    fig, axes = plt.subplots(1, len(RUNTIMES), figsize=(4 * len(RUNTIMES), 3.8), sharey=True)
    for ax, rt in zip(axes, RUNTIMES):
        for r in rows:
            c = _cell(r, rt, b1)
            if not c:
                continue
            eba = r['name'].startswith('EBA')
            ax.scatter(r['GMACs'], c['median_ms'], marker='o' if eba else 's',
                       color='tab:red' if eba else 'tab:blue', alpha=0.8)
            ax.annotate(r['name'].replace('MLP ', ''), (r['GMACs'], c['median_ms']),
                        fontsize=6, xytext=(3, 2), textcoords='offset points')
        ax.set_title(RUNTIME_LABELS[rt])
        ax.set_xlabel('GMACs (MMEngine counter)')
        ax.grid(alpha=0.3)
    axes[0].set_ylabel(f'batch {b1} latency, ms (median)')
    fig.suptitle('Latency vs MACs (red: EBA-PRNetCC, blue: MMPose zoo)', fontsize=10)
    fig.tight_layout()
    os.makedirs(osp.dirname(osp.abspath(out)), exist_ok=True)
    fig.savefig(out, dpi=110)
    plt.close(fig)


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
    p.add_argument('--runtimes', nargs='+', default=list(RUNTIMES) + [MISH_RUNTIME],
                   choices=list(RUNTIMES) + [MISH_RUNTIME], help='runtimes to measure')
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
    p.add_argument('--render', default=None,
                   help='only render an existing results JSON (no measuring)')
    return p


def main(args: argparse.Namespace) -> None:
    if args.render:
        with open(args.render) as f:
            data = json.load(f)
        data.setdefault('source', args.render)
    else:
        if args.quick:
            args.batches, args.warmup, args.repeats = [1, 2], 1, 2
            args.warmup_large, args.repeats_large = 1, 1
            args.train_batch, args.train_steps = 4, 1
            args.work_dir = osp.join(args.work_dir, 'quick')
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
