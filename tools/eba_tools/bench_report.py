"""The benchmark's report: docs/benchmarks.md and the latency-vs-MACs plot, generated from the
results JSON of ``tools/analysis/benchmark.py`` (nothing typed by hand).

The plot is drawn on a ``matplotlib.figure.Figure`` (no pyplot, no backend change).
"""
import os
import os.path as osp
from typing import Dict, List, Optional

#: Runtimes measured for every model, in table order.
RUNTIMES = ('eager', 'onnxruntime', 'openvino-fp32', 'openvino-bf16')
#: ONNX Runtime on the export with the one-exp Mish (models with Mish only).
MISH_RUNTIME = 'onnxruntime-1exp-mish'
#: Post-training int8 (``export_onnx.py --int8``): NNCF for OpenVINO, static QDQ for ONNX
#: Runtime (on the one-exp Mish export for models with Mish).
INT8_RUNTIMES = ('openvino-int8', 'onnxruntime-int8')
RUNTIME_LABELS = {'eager': 'PyTorch eager', 'onnxruntime': 'ONNX Runtime',
                  'openvino-fp32': 'OpenVINO fp32', 'openvino-bf16': 'OpenVINO bf16',
                  MISH_RUNTIME: 'ONNX Runtime, one-exp Mish', 'openvino-int8': 'OpenVINO int8',
                  'onnxruntime-int8': 'ONNX Runtime int8'}


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
    if ref is not None and rt == 'onnxruntime-int8' and _cell(ref, rt, b) is None:
        return None
    a, r = _cell(row, rt, b), _cell(ref, ref_rt, b) if ref else None
    return a['median_ms'] / r['median_ms'] if a and r else None


def best(row: Dict, b: str, runtimes=RUNTIMES + (MISH_RUNTIME, )):
    cells = [(c['median_ms'], rt) for rt in runtimes if (c := _cell(row, rt, b))]
    return min(cells) if cells else (None, None)


def goals(rows: List[Dict], b: str = '1') -> List[str]:
    """The speed goals of EBA-PRNetCC against SimCC-R50, checked on the numbers of one run."""
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


def busy_cells(res: Dict) -> List[str]:
    """Cells timed while the 1-minute load average exceeded the cores + 1, i.e. while at least
    one other process was busy beside this run (its own threads count for up to the cores)."""
    limit = (res['machine'].get('cpu_count') or 1) + 1
    out = []
    for row in res['models'].values():
        for rt, cells in row.get('runs', {}).items():
            for b, c in cells.items():
                if (c or {}).get('load_avg_1min', 0) > limit:
                    out.append(f"{row['name']} {RUNTIME_LABELS.get(rt, rt)} b{b} "
                               f"({c['load_avg_1min']:.1f})")
    return out


def int8_goals(rows: List[Dict], b1: str, bn: str) -> List[str]:
    """The int8 goals: OpenVINO int8 >= 1.6x faster than bf16 for EBA-R34-384 at both batches;
    EBA-R34-384 int8 / SimCC-R50-384 int8 <= their MAC ratio."""
    by = {r['name']: r for r in rows}
    eba, ref = by.get('EBA R34 MLP 384x288'), by.get('SimCC R50 384x288')
    out = []
    if not eba:
        return out
    for b in (b1, bn):
        bf, i8 = _cell(eba, 'openvino-bf16', b), _cell(eba, 'openvino-int8', b)
        if bf and i8:
            s = bf['median_ms'] / i8['median_ms']
            out.append(f'EBA-R34-384 OpenVINO int8 vs bf16, batch {b}: **{s:.2f}x** faster '
                       f'(goal >= 1.6x): ' + ('met' if s >= 1.6 else
                                              f'missed by {1.6 - s:.2f}x ({s / 1.6 - 1:+.0%})'))
    if ref:
        mac = eba['GMACs'] / ref['GMACs']
        for rt in INT8_RUNTIMES:
            for b in (b1, bn):
                t = time_ratio(rows, eba, rt, b)
                if t is not None:
                    out.append(f'EBA-R34-384 / SimCC-R50-384 in {RUNTIME_LABELS[rt]}, batch {b}: '
                               f'**{t:.2f}** (goal <= MAC ratio {mac:.2f}): '
                               + ('met' if t <= mac else f'missed by {t - mac:.2f}'))
    return out


def render_int8(res: Dict, rows: List[Dict], b1: str, bn: str) -> List[str]:
    """The int8 section: OpenVINO int8 against bf16/fp32, ONNX Runtime int8 against fp32."""
    if not any(_cell(r, rt, b) for r in rows for rt in INT8_RUNTIMES for b in (b1, bn)):
        return []
    mm = res.get('matmul', {})
    i8 = mm.get('int8', {}).get('GMAC_per_s')
    lines = ['## int8 (post-training quantisation, VNNI)', '',
             'Quantised as `tools/deployment/export_onnx.py --int8` does it '
             '(eba_prnetcc_mmpose/deploy/quantize.py): NNCF `quantize` (preset performance, '
             'fast bias correction) on the OpenVINO IR; ONNX Runtime `quantize_static` (QDQ, '
             'u8 activations, s8 per-channel weights, MinMax) on the ONNX file ONNX Runtime is '
             'given (one-exp '
             'Mish for models with Mish); the output layer (SimCC Linear / heatmap conv) kept '
             f"in fp32; calibrated on {res['settings'].get('calib_num', '?')} crops of the "
             "synthetic training set at each model's input size (random weights: timing does "
             'not depend on the calibration). OpenVINO runs the layers left unquantised in f32. '
             '**x bf16** / **x fp32** = speed-up of int8 over that precision in the same '
             'runtime; t/t_ref as above (the SimCC-R50 at the same size, also int8).', '']
    for b, what, unit in ((b1, 'latency', 'ms'), (bn, 'throughput', 'img/s')):
        lines += [f'Batch {b} ({what}):', '',
                  f'| model | MAC/ref | OV fp32 {unit} | OV bf16 {unit} | OV int8 {unit} | '
                  f'x fp32 | x bf16 | t/t_ref | ORT fp32 {unit} | ORT int8 {unit} | x fp32 | '
                  't/t_ref |', '|' + '---|' * 12]
        for r in rows:
            ref = _reference(rows, r)
            c = {rt: _cell(r, rt, b) for rt in ('openvino-fp32', 'openvino-bf16',
                                                'openvino-int8', 'onnxruntime-int8')}
            ort_rt = MISH_RUNTIME if _cell(r, MISH_RUNTIME, b) else 'onnxruntime'
            c['ort'] = _cell(r, ort_rt, b)

            def v(x):
                if x is None:
                    return '–'
                return f"{x['median_ms']:.1f}" if b == b1 else f"{x['images_per_s']:.1f}"

            def sp(a, q):
                return f"{c[a]['median_ms'] / c[q]['median_ms']:.2f}" if c[a] and c[q] else '–'

            t_ov, t_ort = (time_ratio(rows, r, rt, b) for rt in INT8_RUNTIMES)
            mac = f"{r['GMACs'] / ref['GMACs']:.2f}" if ref else '–'
            lines.append(
                f"| {r['name']} | {mac} | {v(c['openvino-fp32'])} | {v(c['openvino-bf16'])} | "
                f"{v(c['openvino-int8'])} | {sp('openvino-fp32', 'openvino-int8')} | "
                f"{sp('openvino-bf16', 'openvino-int8')} | "
                f"{f'{t_ov:.2f}' if t_ov else '–'} | {v(c['ort'])} | "
                f"{v(c['onnxruntime-int8'])} | {sp('ort', 'onnxruntime-int8')} | "
                f"{f'{t_ort:.2f}' if t_ort else '–'} |")
        lines.append('')
    if i8:
        lines += [f'Achieved GMAC/s at batch {bn} in OpenVINO int8 (and % of the int8 matmul '
                  f'figure, {i8:.0f} GMAC/s): ' + ', '.join(
                      f"{r['name']} {c['GMAC_per_s']:.0f} ({100 * c['GMAC_per_s'] / i8:.0f} %)"
                      for r in rows if (c := _cell(r, 'openvino-int8', bn))) + '.', '']
    lines += ['Goals, checked on these numbers (the table\'s cells were timed minutes apart; '
              'where an interleaved A/B probe of a goal follows, it is the reading robust to '
              'load from other work; per-layer diagnosis: `tools/analysis/ov_layer_profile.py`, '
              '[deploy.md](deploy.md#speed-where-int8-time-goes-layer-by-layer)):', '']
    lines += [f'- {g}' for g in int8_goals(rows, b1, bn)] or ['- (not enough rows measured)']
    goal_pairs = {  # interleaved A/B probes of the goals (section below), when there are any
        ('EBA R34 MLP 384x288=openvino-int8', 'EBA R34 MLP 384x288=openvino-bf16'):
            ('OpenVINO int8 vs bf16 speed-up', lambda r: 1 / r, 1.6, '>='),
        ('EBA R34 MLP 384x288=openvino-int8', 'SimCC R50 384x288=openvino-int8'):
            ('EBA-R34-384 / SimCC-R50-384 in OpenVINO int8', lambda r: r, None, '<='),
        ('EBA R34 MLP 384x288=onnxruntime-int8', 'SimCC R50 384x288=onnxruntime-int8'):
            ('EBA-R34-384 / SimCC-R50-384 in ONNX Runtime int8', lambda r: r, None, '<=')}
    by = {r['name']: r for r in rows}
    for p in res.get('ab', []):
        goal = goal_pairs.get((p['a'], p['b']))
        if not goal:
            continue
        what, f, target, op = goal
        if target is None:
            eba, ref = by.get('EBA R34 MLP 384x288'), by.get('SimCC R50 384x288')
            target = eba['GMACs'] / ref['GMACs'] if eba and ref else None
        for b, c in p['batches'].items():
            v, lo, hi = (f(c[k]) for k in ('median_ratio', 'ratio_q3', 'ratio_q1'))
            if target is None:
                continue
            ok = v >= target if op == '>=' else v <= target
            lines.append(f'- interleaved A/B ({p["started"]}), {what}, batch {b}: **{v:.2f}** '
                         f'(IQR {min(lo, hi):.2f}-{max(lo, hi):.2f}; goal {op} {target:.2f}): '
                         + ('met' if ok else f'missed by {abs(v - target):.2f}'))
    return lines + ['']


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
        for d in ('fp32', 'bf16', 'int8'):
            if d not in mm:
                continue
            if 'GMAC_per_s' not in mm[d]:
                lines.append(f"| {d} | not measured: {mm[d].get('error', '?')} | – |")
                continue
            what = f"{d} ({mm[d]['op']})" if mm[d].get('op') else d
            lines.append(f"| {mm[d]['n']}x{mm[d]['n']} {what} | {mm[d]['GMAC_per_s']:.1f} | "
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
    busy = busy_cells(res)
    if busy:
        lines += ['**Timed while the machine was busy** (1-minute load average above cores + 1, '
                  'in brackets; their times are inflated and their ratios to other cells not '
                  f'valid): {len(busy)} of the cells: ' + ', '.join(busy) + '.', '']
    lines += render_int8(res, rows, b1, bn)
    if res.get('ab'):
        lines += ['## Interleaved A/B probes', '',
                  '`benchmark.py --ab A B` after the run: the two cells timed in alternation from '
                  'the cached exports, so load from other work hits both alike; median of the '
                  'per-pair time ratios A/B (inter-quartile range). < 1: A is faster.', '',
                  '| A | B | when (load avg start-end) | batch | pairs | A/B | IQR | A ms | B ms |',
                  '|---|---|---|---|---|---|---|---|---|']
        for p in res['ab']:
            for b, c in p['batches'].items():
                lines.append(f"| {p['a']} | {p['b']} | {p['started']} "
                             f"({p['load_avg_start'][0]:.1f}-{p['load_avg_end'][0]:.1f}) | {b} | "
                             f"{c['pairs']} | **{c['median_ratio']:.3f}** | "
                             f"{c['ratio_q1']:.3f}-{c['ratio_q3']:.3f} | "
                             f"{c['median_ms'][0]:.1f} | {c['median_ms'][1]:.1f} |")
        lines.append('')
    lines += ['## Goals, checked on these numbers at batch 1', '']
    lines += [f'- {g}' for g in goals(rows, b1)] or ['- (not enough rows measured)']
    mish_rows = [r for r in rows if _cell(r, MISH_RUNTIME, b1)]
    if mish_rows:
        lines += ['', '## Mish in ONNX Runtime: Softplus-Tanh-Mul vs one-exp export', '',
                  'One-exp export: `x * n / (n + 2)`, `n = e^x (e^x + 2)`, exponent clamped at '
                  '20 (eba_prnetcc_mmpose/deploy/one_exp_mish.py); `tools/deployment/export_onnx.py` '
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
            '| backbone | ms (median ± IQR) | × ResNet time | params M |', '|---|---|---|---|',
            f"| MMPose ResNet-{a['depth']} (ReLU) | {_ms(a['resnet'])} | 1.000 | "
            f"{a['resnet']['params_M']:.2f} |",
            f"| EBA-ResNet-{a['depth']}, ReLU trunk (bridge attention alone) | "
            f"{_ms(a['eba_resnet_relu'])} | {a['time_ratio_attention_only']:.3f} | "
            f"{a['eba_resnet_relu']['params_M']:.2f} |",
            f"| EBA-ResNet-{a['depth']}, Mish trunk (paper) | {_ms(a['eba_resnet'])}"
            f" | {a['time_ratio']:.3f} | {a['eba_resnet']['params_M']:.2f} |"]
        lines += _noise_note([a['resnet'], a['eba_resnet_relu'], a['eba_resnet']])
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
                  '| variant | ms / step (median ± IQR) | images/s | × plain | compile s |',
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
        lines += _noise_note([v for v in t.values() if 'error' not in v], adopted=True)
    if m['device'] == 'cpu':
        lines += ['', '## GPU', '', 'Not measured: this run had no GPU. The CUDA code paths '
                  '(`--device cuda`, `--amp`, ONNX Runtime\'s CUDA provider) are kept but no '
                  'GPU number in this project has been measured.']
    if plot:
        lines += ['', f'![latency vs MACs per runtime]({osp.basename(plot)})']
    lines += ['', f"Source: `{res.get('source', '(not saved)')}`.", '']
    return '\n'.join(lines)


def _noisy(cell: Dict) -> bool:
    """A timing whose inter-quartile range exceeds half its median: taken under load."""
    return cell.get('iqr_ms', 0.0) > 0.5 * cell['median_ms']


def _ms(cell: Dict) -> str:
    """``median ± IQR`` in ms (IQR absent in old JSON files)."""
    if 'iqr_ms' not in cell:
        return f"{cell['median_ms']:.1f}"
    return f"{cell['median_ms']:.1f} ± {cell['iqr_ms']:.1f}"


def _noise_note(cells: List[Dict], adopted: bool = False) -> List[str]:
    """A warning under a table when any of its timings is too noisy for its ratios to hold."""
    if not any(_noisy(c) for c in cells):
        return []
    return ['', '**Not valid as a comparison:** at least one row above has an inter-quartile '
            'range larger than half its median (timed while other work shared the cores), so '
            'its ratios are load, not the model.' + (' Nothing was adopted from it.'
                                                     if adopted else '')
            + ' Re-run on a quiet machine.']


def render_plot(res: Dict, out: str) -> None:
    """Latency (batch 1) against GMACs, one panel per runtime; EBA rows filled."""
    from matplotlib.figure import Figure
    rows = list(res['models'].values())
    b1 = str(res['settings']['batches'][0])
    fig = Figure(figsize=(4 * len(RUNTIMES), 3.8))
    axes = fig.subplots(1, len(RUNTIMES), sharey=True)
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
