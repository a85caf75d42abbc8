"""The ablation's report, generated from the study JSON only: the summary per variant, the
markdown tables, docs/ablation.md, its two figures and the README block between
:data:`README_START` and :data:`README_END`.

Figures are drawn on ``matplotlib.figure.Figure`` objects (no pyplot, no backend change).
"""
import math
import os
import os.path as osp
import statistics
from dataclasses import asdict
from typing import Dict, List, Optional, Sequence

from .ablation_study import CHAIN, REFERENCE, VARIANTS, Budget
from .stats import mean_std, t_quantile_975, welch_interval

#: Start and end markers of the generated block in README.md.
README_START = '<!-- ablation:start -->'
README_END = '<!-- ablation:end -->'


def summarize(results: Dict, confidence: float = 0.95) -> List[Dict]:
    """One row per variant with runs: mean/std of the metrics, cost, and Welch intervals.

    Args:
        results (dict): Study results (as :func:`run_study` returns / writes them).
        confidence (float): Level of the intervals. Defaults to 0.95.

    Returns:
        list[dict]: Rows in variant order with ``key``, ``name``, ``n``, ``seeds``, ``ap`` (list),
        ``ap_mean``, ``ap_std``, ``ap50_mean``, ``ap75_mean``, ``ar_mean``, ``params``, ``macs``,
        ``s_per_epoch``, ``vs_ref`` and ``vs_parent`` (Welch interval dicts, or None).
    """
    by_key: Dict[str, List[Dict]] = {}
    for r in results['runs']:
        by_key.setdefault(r['variant'], []).append(r)
    rows = []
    for v in VARIANTS:
        runs = sorted(by_key.get(v.key, []), key=lambda r: r['seed'])
        if not runs:
            continue
        ap = [r['coco/AP'] for r in runs]
        info = results['variants'].get(v.key, {})
        rows.append(dict(
            key=v.key, name=v.name, config=v.config, change=v.change, parent=v.parent,
            n=len(runs), seeds=[r['seed'] for r in runs], ap=ap,
            ap_mean=mean_std(ap)[0], ap_std=mean_std(ap)[1],
            ap50_mean=statistics.fmean(r['coco/AP .5'] for r in runs),
            ap75_mean=statistics.fmean(r['coco/AP .75'] for r in runs),
            ar_mean=statistics.fmean(r['coco/AR'] for r in runs),
            params=info.get('params', runs[0].get('params')),
            macs=info.get('macs', runs[0].get('macs')),
            s_per_epoch=statistics.fmean(r['s_per_epoch'] for r in runs),
            train_time_s=statistics.fmean(r['train_time_s'] for r in runs)))
    aps = {row['key']: row['ap'] for row in rows}

    def interval(a: str, b: Optional[str]) -> Optional[Dict[str, float]]:
        if b is None or a == b or len(aps.get(a, [])) < 2 or len(aps.get(b, [])) < 2:
            return None
        return welch_interval(aps[a], aps[b], confidence)

    for row in rows:
        row['vs_ref'] = interval(row['key'], REFERENCE)
        row['vs_parent'] = interval(row['key'], row['parent'])
    return rows


def _ci(w: Optional[Dict[str, float]]) -> str:
    if w is None:
        return 'n/a'
    return f"{w['diff']:+.3f} [{w['low']:+.3f}, {w['high']:+.3f}]"


def _verdict(w: Optional[Dict[str, float]], other: str) -> str:
    if w is None:
        return 'n/a (needs >= 2 seeds of both)'
    if w['inside_noise']:
        return 'inside the noise'
    return f"{'higher' if w['diff'] > 0 else 'lower'} than ({other})"


def results_table(rows: Sequence[Dict]) -> str:
    """The markdown table of the study (the one source of the doc's and the README's table)."""
    lines = ['| variant | AP (mean ± std) | AP50 | AR | ΔAP vs (a), 95 % Welch CI | verdict '
             '| params | MACs | s/epoch |',
             '|---|---|---|---|---|---|---|---|---|']
    for r in rows:
        lines.append(
            f"| ({r['key']}) {r['name']} | {r['ap_mean']:.3f} ± {r['ap_std']:.3f} (n={r['n']}) "
            f"| {r['ap50_mean']:.3f} | {r['ar_mean']:.3f} "
            f"| {'reference' if r['key'] == REFERENCE else _ci(r['vs_ref'])} "
            f"| {'' if r['key'] == REFERENCE else _verdict(r['vs_ref'], REFERENCE)} "
            f"| {r['params'] / 1e6:.2f} M | {r['macs'] / 1e6:.1f} M | {r['s_per_epoch']:.1f} |")
    return '\n'.join(lines)


def steps_table(rows: Sequence[Dict]) -> str:
    """Markdown table of the single-change steps (each variant against its parent)."""
    keyed = {r['key']: r for r in rows}
    chain = [v.key for v in sorted(VARIANTS, key=lambda v: CHAIN.index(v.key))]
    rows = [keyed[k] for k in chain if k in keyed]
    lines = ['| step | the one change | ΔAP, 95 % Welch CI | verdict | Δparams | ΔMACs '
             '| Δs/epoch |', '|---|---|---|---|---|---|---|']
    for r in rows:
        p = keyed.get(r['parent'] or '')
        if p is None:
            continue
        lines.append(
            f"| ({p['key']}) → ({r['key']}) | {r['change']} | {_ci(r['vs_parent'])} "
            f"| {_verdict(r['vs_parent'], p['key'])} | {(r['params'] - p['params']) / 1e6:+.3f} M "
            f"| {(r['macs'] - p['macs']) / 1e6:+.1f} M "
            f"| {r['s_per_epoch'] - p['s_per_epoch']:+.1f} |")
    return '\n'.join(lines)


def findings(rows: Sequence[Dict]) -> List[str]:
    """Plain-language sentences, one per comparison (vs (a) and vs the parent), from numbers."""
    keyed = {r['key']: r for r in rows}
    out = []
    for r in rows:
        others = [(REFERENCE, r['vs_ref'])]
        if r['parent'] not in (None, REFERENCE):
            others.append((r['parent'], r['vs_parent']))
        for other, w in others:
            if r['key'] == REFERENCE or other not in keyed:
                continue
            head = f"({r['key']}) {r['name']} vs ({other}) {keyed[other]['name']}: "
            if w is None:
                out.append(head + 'not enough seeds for an interval.')
            elif w['inside_noise']:
                out.append(head + f'ΔAP {_ci(w)}, **inside the noise**: this study cannot tell '
                           f'them apart.')
            else:
                out.append(head + f"ΔAP {_ci(w)}, **{'higher' if w['diff'] > 0 else 'lower'}** "
                           f'at 95 %.')
    return out


def readme_block(rows: Sequence[Dict], results: Dict, doc_link: str, json_link: str) -> str:
    """The README's ablation block (between the markers): the table and one line of context."""
    b = results['budget']
    n = min((r['n'] for r in rows), default=0)
    return (f"**Ablation**: stock SimCC and each part of EBA-PRNetCC under the demo's budget "
            f"({b['epochs']} epochs, {b['num_train']} training images, {n} training seeds per "
            f'variant; AP mean ± std, difference to stock SimCC (a) with a 95 % Welch interval). '
            f'Generated by `tools/analysis/ablation.py` from [{json_link}]({json_link}); the '
            f'single-change steps, figures and caveats are in [{doc_link}]({doc_link}).\n\n'
            + results_table(rows) + '\n')


def write_report(results: Dict, doc: str, readme: Optional[str] = None,
                 json_path: str = 'benchmarks/ablation.json',
                 command: str = 'python tools/analysis/ablation.py',
                 json_shown: Optional[str] = None) -> List[str]:
    """Write the markdown report, its two figures and (optionally) the README block.

    Args:
        results (dict): Study results.
        doc (str): Markdown path, e.g. ``docs/ablation.md``; the figures go beside it as
            ``<stem>_ap.png`` and ``<stem>_ap_epoch.png``.
        readme (str, optional): README whose block between :data:`README_START` and
            :data:`README_END` is replaced by the table.
        json_path (str): The JSON the results came from (the README block links to it).
        command (str): The command line the doc says regenerates it.
        json_shown (str, optional): How the doc names the JSON. Defaults to ``json_path``.

    Returns:
        list[str]: Paths written.
    """
    rows = summarize(results)
    stem = osp.splitext(doc)[0]
    fig_ap, fig_epoch = stem + '_ap.png', stem + '_ap_epoch.png'
    os.makedirs(osp.dirname(osp.abspath(doc)), exist_ok=True)
    plot_ap(rows, fig_ap)
    plot_ap_per_epoch(results, fig_epoch)
    with open(doc, 'w') as f:
        f.write(report_markdown(results, rows, osp.basename(fig_ap), osp.basename(fig_epoch),
                                json_shown or json_path, command))
    written = [doc, fig_ap, fig_epoch]
    if readme:
        here = osp.dirname(osp.abspath(readme))
        update_marked_block(readme, readme_block(rows, results, osp.relpath(osp.abspath(doc), here),
                                                 osp.relpath(osp.abspath(json_path), here)))
        written.append(readme)
    return written


def update_marked_block(path: str, block: str) -> None:
    """Replace the text between :data:`README_START` and :data:`README_END` in ``path``.

    Raises:
        ValueError: if the file does not hold the two markers once each, in order.
    """
    with open(path) as f:
        text = f.read()
    start, end = text.find(README_START), text.find(README_END)
    if start < 0 or end < start or text.count(README_START) != 1 or text.count(README_END) != 1:
        raise ValueError(f'{path}: expected one {README_START} ... {README_END} block')
    new = text[:start + len(README_START)] + '\n' + block + text[end:]
    with open(path, 'w') as f:
        f.write(new)


def report_markdown(results: Dict, rows: Sequence[Dict], fig_ap: str, fig_epoch: str,
                    json_path: str, command: str) -> str:
    """The full markdown report (docs/ablation.md)."""
    b, m = results['budget'], results.get('machine', {})
    runs = results['runs']
    total_min = sum(r['wall_time_s'] for r in runs) / 60
    loads = [x for r in runs for x in r.get('load_avg_1m', [])]
    seeds = sorted({r['seed'] for r in runs})
    base = results.get('baseline', {})
    variants_md = '\n'.join(
        f"| ({v.key}) | {v.name} | `{v.config}` | "
        f"{'(reference) ' + v.change if v.parent is None else f'({v.parent}) + ' + v.change} |"
        for v in VARIANTS if v.key in results['variants'])
    inside = [r for r in rows if r['vs_parent'] is not None and r['vs_parent']['inside_noise']]
    with_ci = [r for r in rows if r['vs_parent'] is not None]
    dfs = [w['df'] for r in rows for w in (r['vs_ref'], r['vs_parent'])
           if w is not None and math.isfinite(w['df'])]
    df_text = (f"{min(dfs):.1f}-{max(dfs):.1f} degrees of freedom (t quantiles "
               f"{t_quantile_975(max(dfs)):.2f}-{t_quantile_975(min(dfs)):.2f})" if dfs else 'no interval yet')
    per_run = total_min / len(runs) if runs else float('nan')
    if b == asdict(Budget()):
        budget_text = (
            "The budget is the demo's own (30 epochs on 200 images), chosen so that the whole "
            'study (6 variants × 3 seeds) fits in about 60-75 minutes on two otherwise idle '
            "cores: the demo's 30 epochs took 154-300 s of training on such a machine (README, "
            '`benchmarks/demo_spread.json`), about 3-4 min per run with validation and start-up.')
    else:
        budget_text = f'This study used its own budget ({b}), not the default one.'
    noise_text = (f'With {len(seeds)} seed(s) per variant the Welch intervals here have '
                  f'{df_text}, so only differences of several run-to-run standard deviations are '
                  f'resolved; the intervals are not corrected for making several comparisons.'
                  if dfs else 'No interval yet: every variant needs at least 2 seeds.')
    return f"""# Ablation: which part of EBA-PRNetCC helps, against stock SimCC (measured)

*Generated by `{command}` from `{json_path}`; do not edit by hand. Rerunning the command trains
only the (variant, seed) runs the JSON does not hold yet; `--report-only` rewrites this page,
its figures and the README block from the JSON alone.*

## What was run

Every variant is a config in `configs/ablation/` that inherits the demo config
(`configs/demo/simcc_eba-res18-mlp_1xb16-30e_synthcoco-128x96.py`) and states only its
difference, so all share one budget: the synthetic COCO-format data ({b['num_train']} training and
{b['num_val']} validation images, data seed {b['data_seed']}), epochs: {b['epochs']}, batch 16,
the demo's augmentation (flip, rotation ±30°, scale 0.7-1.3), Adam 2e-3 with warm-up and cosine
decay, 128×96 input, ResNet-18 at base width 32, two 128-channel deconvolutions, flip test.
Every loss, ours or MMPose's, has the demo's settings (`beta=10`, `label_softmax=True`,
target weights); only its class changes. Training seeds: {', '.join(map(str, seeds))} (the seed
sets initialisation, data order and augmentation; the data are the same for every run).
Each run is validated with MMPose's `CocoMetric` on detected boxes every {b['val_interval']}
epoch(s) and after the last; the table reports the last validation.

| | variant | config | its one change |
|---|---|---|---|
{variants_md}

Single-change chain: (a) → (b) → (c) → (f) → (d), and (d) → (e). (d) differs from (c) in
two things (trunk activation and loss), which (f) separates.

## Results

{results_table(rows)}

Mean-pose baseline (the training set's mean pose placed in each box): AP
{base.get('coco/AP', float('nan')):.3f}. Params and MACs: MMEngine's counter on one 128×96
image (the counter of `tools/analysis/get_flops.py`; one multiply-accumulate = one MAC; every
layer counted). s/epoch: training time per epoch without validation, mean over seeds.

### Each change on its own

{steps_table(rows)}

{chr(10).join('- ' + s for s in findings(rows))}

Of the {len(with_ci)} single-change steps, {len(inside)} are inside the noise: their 95 % interval
contains 0. {noise_text}

![AP per variant, mean ± std over seeds, dots = single runs]({fig_ap})

![AP against epoch, mean over seeds, band = ± std]({fig_epoch})

## How to read this

This is a small-scale, CPU-budget study on synthetic figures, not COCO: {b['num_train']} images,
{b['epochs']} epoch(s) from random initialisation, a slim model (ResNet-18 at half width, two
deconvolutions, 128×96 input). It answers "does
this part help a small SimCC learn this data under a fixed short budget", which is not the same
question as the paper's 140 COCO epochs from ImageNet weights. A part that does not help here
may still help at scale, and the reverse; the table reports what was measured here.

`KLDiscretLoss` (MMPose) averages the KL over the bins of each axis and sums over instances;
`EBAKLDiscretLoss` (the paper's) sums over bins and averages over instances. So MMPose's loss is
`N × (KL_x / 192 + KL_y / 256)` here (N instances in the batch, 192 and 256 bins) where the
paper's is `KL_x + KL_y`: the overall scale, to which Adam is nearly invariant, and the x:y weight
(4:3 against 1:1) differ. (d) vs (f) measures mostly the latter.

## Cost and machine

{len(runs)} runs, {total_min:.0f} min of wall time in all ({per_run:.1f} min per run: training,
validation every {b['val_interval']} epoch(s) and start-up), on {m.get('cpu', '?')} with
{m.get('cpu_count', m.get('cores', '?'))} cores, {runs[0].get('torch_threads', '?') if runs else '?'} torch threads
and {runs[0].get('num_workers', '?') if runs else '?'} data worker(s) per loader. The 1-minute
load average, sampled at the start and end of every run, was
{min(loads, default=float('nan')):.1f}-{max(loads, default=float('nan')):.1f}: other jobs on the
machine slow s/epoch and wall time (not the AP), so compare s/epoch only between runs under similar
load. {budget_text}

```bash
{command}                      # trains what is missing, then writes this page
{command} --report-only        # rewrite this page, the figures and the README block
{command} --variants a d --seeds 0 1 2 3 4   # more seeds for two variants (same budget)
.venv/bin/python tools/train.py configs/ablation/a_simcc_res18_1xb16-30e_synthcoco-128x96.py
# ^ any one variant on its own, on data/synthetic_coco (written by `make demo`)
```
"""


def plot_ap(rows: Sequence[Dict], path: str) -> None:
    """AP per variant: mean ± std bars and the single runs as dots."""
    from matplotlib.figure import Figure
    fig = Figure(figsize=(8, 4.2))
    ax = fig.subplots()
    xs = list(range(len(rows)))
    colors = ['#888888' if r['key'] == REFERENCE else '#1f77b4' for r in rows]
    ax.bar(xs, [r['ap_mean'] for r in rows], yerr=[r['ap_std'] for r in rows], capsize=5,
           color=colors, alpha=0.75)
    for x, r in zip(xs, rows):
        ax.scatter([x] * len(r['ap']), r['ap'], color='k', s=12, zorder=3)
    if rows and rows[0]['key'] == REFERENCE:
        ax.axhline(rows[0]['ap_mean'], color='#888888', ls='--', lw=1)
    ax.set_xticks(xs, [f"({r['key']})\n{r['name']}" for r in rows], fontsize=7)
    ax.set_ylabel('CocoMetric AP (synthetic val)')
    ax.set_title('Ablation: AP per variant (mean ± std over seeds; dots: single runs)',
                 fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def plot_ap_per_epoch(results: Dict, path: str) -> None:
    """AP against epoch per variant: mean over seeds, ± std band."""
    import numpy as np
    from matplotlib.figure import Figure
    fig = Figure(figsize=(7, 4.2))
    ax = fig.subplots()
    for v in VARIANTS:
        curves: Dict[int, List[float]] = {}
        for r in results['runs']:
            if r['variant'] == v.key:
                for epoch, ap in r['ap_per_epoch']:
                    curves.setdefault(epoch, []).append(ap)
        if not curves:
            continue
        epochs = sorted(curves)
        mean = np.array([np.mean(curves[e]) for e in epochs])
        std = np.array([np.std(curves[e], ddof=1) if len(curves[e]) > 1 else 0.0
                        for e in epochs])
        line, = ax.plot(epochs, mean, marker='o', ms=3, label=f'({v.key}) {v.name}',
                        ls='--' if v.key == REFERENCE else '-')
        ax.fill_between(epochs, mean - std, mean + std, color=line.get_color(), alpha=0.12)
    ax.set_xlabel('epoch')
    ax.set_ylabel('CocoMetric AP (synthetic val)')
    ax.set_title('AP during training (mean over seeds, band: ± std)', fontsize=10)
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
