"""The ablation's report, generated from the study JSON only: the summary per variant, the
paired single-change steps with Holm's correction and a verdict each, docs/ablation.md, its
figures and the README block between :data:`README_START` and :data:`README_END`.

Figures are drawn on ``matplotlib.figure.Figure`` objects (no pyplot, no backend change).
"""
import os
import os.path as osp
import statistics
import textwrap
from typing import Dict, List, Optional, Sequence

from .ablation_study import (CHAIN, EXTRA_COMPARISONS, REFERENCE, STEPS, VARIANT_BY_KEY,
                             VARIANTS)
from .stats import mean_std, paired_interval, step_verdicts

#: Start and end markers of the generated block in README.md.
README_START = '<!-- ablation:start -->'
README_END = '<!-- ablation:end -->'
#: The study's goal: noise floor and bound of every step, in AP.
BOUND = 0.01

#: Budget calibration runs of stock SimCC (a), seed 0, one run at a time on the 2-core AMD EPYC
#: (the other core busy with another job), 1600 training / 300 validation images of the hard
#: set: what fixed the study's input size, width and epochs. Measured 2026-12-02.
CALIBRATION = (
    dict(input='64×48', base=16, epochs=1, ap=0.003, ap50=0.021, ap75=0.000, s_per_epoch=26,
         note='one epoch'),
    dict(input='64×48', base=16, epochs=12, ap=0.144, ap50=0.662, ap75=0.001, s_per_epoch=26,
         note='AR .5 0.71 but AR .75 0.007: joints found roughly, never precisely'),
    dict(input='96×72', base=16, epochs=9, ap=0.165, ap50=0.717, ap75=0.001, s_per_epoch=24,
         note='the same speed (the data pipeline dominates), the same cliff'),
    dict(input='96×72', base=32, epochs=1, ap=None, ap50=None, ap75=None, s_per_epoch=43,
         note='stopped: too slow for 35+ runs in ~2 h'),
    dict(input='96×72', base=16, epochs=9, ap=0.152, ap50=0.663, ap75=0.001, s_per_epoch=24,
         note='no flip in training or test: the same cliff. Median error of visible joints: '
              'shoulders 0.13, elbows 0.24, wrists 0.32 of the box height, i.e. left and right '
              'undecided: half the figures were drawn seen from the back, where only the '
              'colours tell left from right'),
    dict(input='96×72', base=16, epochs=9, ap=0.515, ap50=0.859, ap75=0.580, s_per_epoch=24,
         note='**chosen**: every figure faces the camera (`back_view_prob=0`), flip on again '
              '(label-consistent now)'),
)

#: What it would take to test a part at the paper's scale (for steps that do not help here).
AT_SCALE = ('COCO train2017 (149k instances), 140 epochs at 256×192 / 384×288 from ImageNet '
            'weights, the paper configs under `configs/eba_prnetcc/` (hours per run on a GPU, '
            'several seeds per variant to resolve ~0.5 AP)')


def summarize(results: Dict) -> List[Dict]:
    """One row per variant with runs: mean/std of the metrics over seeds, and cost.

    Args:
        results (dict): Study results (as :func:`run_study` returns / writes them).

    Returns:
        list[dict]: Rows in :data:`CHAIN` order with ``key``, ``name``, ``config``,
        ``change``, ``parent``, ``n``, ``seeds``, ``ap`` (by seed), ``ap_mean``, ``ap_std``,
        ``ap50_mean``, ``ap75_mean``, ``ar_mean``, ``params``, ``macs``, ``s_per_epoch``.
    """
    by_key: Dict[str, List[Dict]] = {}
    for r in results['runs']:
        by_key.setdefault(r['variant'], []).append(r)
    rows = []
    for key in CHAIN:
        v = VARIANT_BY_KEY[key]
        runs = sorted(by_key.get(key, []), key=lambda r: r['seed'])
        if not runs:
            continue
        ap = [r['coco/AP'] for r in runs]
        info = results['variants'].get(key, {})
        mean, std = mean_std(ap)
        rows.append(dict(
            key=key, name=v.name, config=v.config, change=v.change, parent=v.parent,
            n=len(runs), seeds=[r['seed'] for r in runs], ap=ap, ap_mean=mean, ap_std=std,
            ap50_mean=statistics.fmean(r['coco/AP .5'] for r in runs),
            ap75_mean=statistics.fmean(r['coco/AP .75'] for r in runs),
            ar_mean=statistics.fmean(r['coco/AR'] for r in runs),
            params=info.get('params', runs[0].get('params')),
            macs=info.get('macs', runs[0].get('macs')),
            s_per_epoch=statistics.fmean(r['s_per_epoch'] for r in runs)))
    return rows


def _pairs(results: Dict, a: str, b: str):
    """AP of ``a`` and ``b`` on the seeds both have, in seed order."""
    ap = {(r['variant'], r['seed']): r['coco/AP'] for r in results['runs']}
    seeds = sorted({s for k, s in ap if k == a} & {s for k, s in ap if k == b})
    return seeds, [ap[a, s] for s in seeds], [ap[b, s] for s in seeds]


def paired_steps(results: Dict, alpha: float = 0.05, bound: float = BOUND) -> List[Dict]:
    """The single-change steps (:data:`STEPS`), paired by seed, corrected as one family.

    Steps with fewer than 2 common seeds are left out of the family (and listed with
    ``verdict`` ``'n/a'``).

    Returns:
        list[dict]: Per step: ``frm``, ``to``, ``label``, ``seeds``, ``diffs`` (per seed) and,
        when measurable, the fields of :func:`eba_tools.stats.step_verdicts`.
    """
    steps, family = [], []
    for frm, to, label in STEPS:
        seeds, before, after = _pairs(results, frm, to)
        row = dict(frm=frm, to=to, label=label, seeds=seeds,
                   diffs=[b - a for a, b in zip(before, after)], verdict='n/a')
        steps.append(row)
        if len(seeds) >= 2:
            family.append((row, before, after))
    for row, verdict in zip([f[0] for f in family],
                            step_verdicts([(b, a) for _, b, a in family], alpha, bound)):
        row.update(verdict)
    return steps


def extra_comparisons(results: Dict) -> List[Dict]:
    """:data:`EXTRA_COMPARISONS`, paired 95 % intervals (not in the corrected family)."""
    out = []
    for frm, to, label in EXTRA_COMPARISONS:
        seeds, before, after = _pairs(results, frm, to)
        row = dict(frm=frm, to=to, label=label, seeds=seeds)
        if len(seeds) >= 2:
            row.update(paired_interval(before, after))
        out.append(row)
    return out


def _ci(low: float, high: float) -> str:
    return f'[{low:+.4f}, {high:+.4f}]'


def results_table(rows: Sequence[Dict]) -> str:
    """The markdown table of the variants (the doc's and the README's)."""
    lines = ['| variant | AP (mean ± std over seeds) | AP50 | AP75 | AR | params | MACs '
             '| s/epoch |', '|---|---|---|---|---|---|---|---|']
    for r in rows:
        lines.append(
            f"| ({r['key']}) {r['name']} | {r['ap_mean']:.4f} ± {r['ap_std']:.4f} (n={r['n']}) "
            f"| {r['ap50_mean']:.3f} | {r['ap75_mean']:.3f} | {r['ar_mean']:.3f} "
            f"| {r['params'] / 1e6:.3f} M | {r['macs'] / 1e6:.1f} M | {r['s_per_epoch']:.1f} |")
    return '\n'.join(lines)


def steps_table(steps: Sequence[Dict]) -> str:
    """Markdown table of the single-change steps: paired ΔAP, intervals, p-values, verdict."""
    m = sum(1 for s in steps if 'diff' in s)
    lines = ['| step | the one change | pairs | ΔAP (mean) | 95 % paired CI (noise floor ±) '
             f'| {100 - 5 / max(m, 1):.2f} % CI (Bonferroni, {m} steps) | p | p (Holm) '
             '| verdict |', '|---|---|---|---|---|---|---|---|---|']
    for s in steps:
        head = f"| ({s['frm']}) → ({s['to']}) | {s['label']} | {len(s['seeds'])} "
        if 'diff' not in s:
            lines.append(head + '| n/a | n/a | n/a | n/a | n/a | needs ≥ 2 paired seeds |')
            continue
        lines.append(
            head + f"| {s['diff']:+.4f} | {_ci(s['low'], s['high'])} (±{s['half_width']:.4f}) "
            f"| {_ci(s['low_adj'], s['high_adj'])} | {s['p']:.3f} | {s['p_holm']:.3f} "
            f"| **{s['verdict']}** |")
    return '\n'.join(lines)


def extra_table(extra: Sequence[Dict]) -> str:
    """Markdown table of the comparisons outside the corrected family."""
    lines = ['| comparison | what differs | pairs | ΔAP (mean) | 95 % paired CI | p |',
             '|---|---|---|---|---|---|']
    for e in extra:
        if 'diff' not in e:
            lines.append(f"| ({e['frm']}) → ({e['to']}) | {e['label']} | {len(e['seeds'])} "
                         '| n/a | n/a | n/a |')
            continue
        lines.append(f"| ({e['frm']}) → ({e['to']}) | {e['label']} | {len(e['seeds'])} "
                     f"| {e['diff']:+.4f} | {_ci(e['low'], e['high'])} | {e['p']:.3f} |")
    return '\n'.join(lines)


def findings(steps: Sequence[Dict], bound: float = BOUND) -> List[str]:
    """One plain-language sentence per step, from the numbers (with what scale would need)."""
    out = []
    for s in steps:
        frm, to = VARIANT_BY_KEY[s['frm']], VARIANT_BY_KEY[s['to']]
        head = f"**{s['label']}** (({frm.key}) → ({to.key})): "
        if 'diff' not in s:
            out.append(head + 'not measured yet (fewer than 2 paired seeds).')
            continue
        corrected = f"{_ci(s['low_adj'], s['high_adj'])} at the family-wise 95 % level"
        if s['verdict'] == 'helps':
            out.append(head + f"helps here: ΔAP {s['diff']:+.4f}, {corrected}, Holm p "
                       f"{s['p_holm']:.3f}.")
        elif s['verdict'] == 'hurts':
            out.append(head + f"hurts here: ΔAP {s['diff']:+.4f}, {corrected}, Holm p "
                       f"{s['p_holm']:.3f}. Whether it helps at the paper's scale would need "
                       f'{AT_SCALE}.')
        else:
            size = (f'bounded within ±{bound}' if s['within_bound'] else
                    f"not resolved and only bounded within ±{s['max_abs']:.3f} (the goal, "
                    f'±{bound}, is not reached for this step)')
            out.append(head + f"no measurable effect here: ΔAP {s['diff']:+.4f}, {corrected}, "
                       f"Holm p {s['p_holm']:.3f}: {size}. That it does not help at this "
                       f'scale does not say it would not at the paper\'s; testing that would '
                       f'need {AT_SCALE}.')
    return out


def readme_block(rows: Sequence[Dict], steps: Sequence[Dict], results: Dict, doc_link: str,
                 json_link: str) -> str:
    """The README's ablation block (between the markers): the steps and one line of context."""
    b, d = results['budget'], results.get('data', {})
    verdicts = '; '.join(f"{s['label']}: **{s['verdict']}**" for s in steps if 'diff' in s)
    return (f"**Ablation** (measured, paired by seed): stock SimCC and each part of EBA-PRNetCC "
            f"on a harder synthetic set ({d.get('val_instances', '?')} validation people, "
            f"{b['epochs']} epochs, {seed_counts(rows)} per variant, 96×72 input). Single-change "
            f"steps, "
            f"Holm-corrected over the family: {verdicts or 'no step measured yet'}. Generated "
            f"by `tools/analysis/ablation.py` from [{json_link}]({json_link}); tables, figures "
            f'and what the paper\'s scale would need: [{doc_link}]({doc_link}).\n\n'
            + steps_table(steps) + '\n')


def seed_counts(rows: Sequence[Dict]) -> str:
    """``'5 seeds'``, or ``'5-13 seeds'`` when the variants have different numbers of seeds."""
    counts = sorted({r['n'] for r in rows})
    if not counts:
        return '0 seeds'
    return f'{counts[0]} seeds' if len(counts) == 1 else f'{counts[0]}-{counts[-1]} seeds'


def _seed_ranges(seeds: Sequence[int]) -> str:
    """``[0, 1, 2, 5]`` -> ``'0-2, 5'``."""
    parts, seeds = [], sorted(seeds)
    for s in seeds:
        if parts and s == parts[-1][1] + 1:
            parts[-1][1] = s
        else:
            parts.append([s, s])
    return ', '.join(str(a) if a == b else f'{a}-{b}' for a, b in parts)


def seeds_md(rows: Sequence[Dict]) -> str:
    """Which seeds each variant ran, grouped by identical seed lists."""
    groups: Dict[str, List[str]] = {}
    for r in rows:
        groups.setdefault(_seed_ranges(r['seeds']), []).append(f"({r['key']})")
    if len(groups) == 1:
        return f'seeds {next(iter(groups))}'
    return '; '.join(f"{', '.join(keys)}: seeds {ranges}" for ranges, keys in groups.items())


def history_md(results: Dict) -> str:
    """The study JSON's ``history`` (how and why the study grew), one bullet per entry."""
    entries = results.get('history', [])
    if not entries:
        return ''
    lines = [f"- **{e['date']}** ({e['runs']}): {e['what']}" for e in entries]
    return '## How the study grew\n\n' + '\n'.join(lines) + '\n\n'


def write_report(results: Dict, doc: str, readme: Optional[str] = None,
                 json_path: str = 'benchmarks/ablation_v2.json',
                 command: str = 'python tools/analysis/ablation.py',
                 json_shown: Optional[str] = None) -> List[str]:
    """Write the markdown report, its figures and (optionally) the README block.

    Args:
        results (dict): Study results.
        doc (str): Markdown path, e.g. ``docs/ablation.md``; the figures go beside it as
            ``<stem>_steps.png``, ``<stem>_ap.png`` and ``<stem>_ap_epoch.png``.
        readme (str, optional): README whose block between :data:`README_START` and
            :data:`README_END` is replaced.
        json_path (str): The JSON the results came from (the README block links to it).
        command (str): The command line the doc says regenerates it.
        json_shown (str, optional): How the doc names the JSON. Defaults to ``json_path``.

    Returns:
        list[str]: Paths written.
    """
    rows = summarize(results)
    steps = paired_steps(results)
    stem = osp.splitext(doc)[0]
    figs = dict(steps=stem + '_steps.png', ap=stem + '_ap.png', epoch=stem + '_ap_epoch.png')
    os.makedirs(osp.dirname(osp.abspath(doc)), exist_ok=True)
    plot_steps(steps, figs['steps'])
    plot_ap(results, rows, figs['ap'])
    plot_ap_per_epoch(results, figs['epoch'])
    with open(doc, 'w') as f:
        f.write(report_markdown(results, rows, steps, {k: osp.basename(p) for k, p in
                                                       figs.items()},
                                json_shown or json_path, command))
    written = [doc, *figs.values()]
    if readme:
        here = osp.dirname(osp.abspath(readme))
        update_marked_block(readme, readme_block(
            rows, steps, results, osp.relpath(osp.abspath(doc), here),
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


def _calibration_md() -> str:
    lines = ['| input | base width | epochs | AP | AP50 | AP75 | s/epoch | note |',
             '|---|---|---|---|---|---|---|---|']
    for c in CALIBRATION:
        ap = ['n/a' if c[k] is None else f'{c[k]:.3f}' for k in ('ap', 'ap50', 'ap75')]
        lines.append(f"| {c['input']} | {c['base']} | {c['epochs']} | {' | '.join(ap)} "
                     f"| {c['s_per_epoch']} | {c['note']} |")
    return '\n'.join(lines)


def _span(values: Sequence[float]) -> str:
    return f'{min(values):.4f}-{max(values):.4f}' if values else 'n/a'


def report_markdown(results: Dict, rows: Sequence[Dict], steps: Sequence[Dict],
                    figs: Dict[str, str], json_path: str, command: str) -> str:
    """The full markdown report (docs/ablation.md)."""
    b, m, d = results['budget'], results.get('machine', {}), results.get('data', {})
    runs = results['runs']
    total_h = sum(r['wall_time_s'] for r in runs) / 3600
    finished = sorted(r.get('finished_at', '') for r in runs)
    base = results.get('baseline', {})
    measured = [s for s in steps if 'diff' in s]
    floors = [s['half_width'] for s in measured]
    floor_text = (f"The noise floor (half-width of the paired 95 % interval) is "
                  f"{min(floors):.4f}-{max(floors):.4f} AP over the {len(measured)} steps "
                  f"({sum(f <= BOUND for f in floors)} of them at or below the goal of "
                  f"{BOUND}); the family-wise (Bonferroni-level) intervals are wider by the "
                  f"larger t quantile." if floors else 'No step has two paired seeds yet.')
    bounded = [s for s in measured if s.get('within_bound')]
    resolved = [s for s in measured if s.get('resolved')]
    open_steps = [s for s in measured if not s.get('resolved') and not s.get('within_bound')]
    variants_md = '\n'.join(
        f"| ({v.key}) | {v.name} | `{v.config}` | "
        f"{'(reference) ' + v.change if v.parent is None else f'({v.parent}) + ' + v.change} |"
        for v in VARIANTS if v.key in results['variants'])
    diff_sd = [s['sd'] for s in measured]
    ap_sd = [r['ap_std'] for r in rows if r['n'] > 1]
    return f"""# Ablation: which part of EBA-PRNetCC helps, against stock SimCC (measured, paired)

*Generated by `{command}` from `{json_path}`; do not edit by hand. Rerunning the command trains
only the (variant, seed) runs the JSON does not hold yet; `--report-only` rewrites this page,
its figures and the README block from the JSON alone.*

## Verdict

{chr(10).join('- ' + s for s in findings(steps))}

Resolved (Holm-corrected, family-wise 95 %): {len(resolved)} of {len(measured)} steps;
bounded within ±{BOUND}: {len(bounded)}; neither (the goal not reached): {len(open_steps)}.
{floor_text}

{steps_table(steps)}

![paired ΔAP per step: one dot per seed, bars: 95 % and family-wise intervals]({figs['steps']})

Outside the corrected family (for reading the loss steps and the whole model):

{extra_table(extra_comparisons(results))}

## What was run

A proxy benchmark built to resolve differences (issue 16): a harder synthetic COCO-format set
and a budget at which stock SimCC sits between the floor and the ceiling.

- **Data** (generated by the study into `data/synthetic_coco_hard/`, seed {b['data_seed']},
  `eba_tools.synthetic_coco.HARD`): {d.get('train_images', '?')} training images with
  {d.get('train_instances', '?')} people and {d.get('val_images', '?')} validation images with
  **{d.get('val_instances', '?')} people**, {d.get('image_size', '?')} pixels,
  2-{d.get('max_persons', '?')} overlapping stick figures per image, all facing the camera
  (left and right told by the layout, as in a front view), with heights from 0.25 to 0.9 of
  the image (a 3.6× scale range), an occluding rectangle on half of them, 3-7 limb-like distractors (limb-coloured
  segments ending in joint-coloured dots) and the textured background with shapes of the demo
  set. Validation uses the ground-truth boxes (no detector in the loop).
- **Budget** (`configs/ablation/synthhard/base_simcc_eba-res18-mlp_1xb32_synthhard-96x72.py`,
  shared by all): {b['epochs']} epochs, batch 32, 96×72 input, ResNet-18 layout at base width
  16, two 64-channel deconvolutions, SimCC split 2 (144 x-bins, 192 y-bins), σ 2,
  `normalize=False` targets with `label_softmax` and β 10 (RTMPose's pairing, as the demo),
  Adam 2e-3 with warm-up and cosine decay to 1e-5, flip/rotation/scale augmentation and flip
  test (label-consistent because every figure faces the camera; see the calibration), and an
  exponential moving average of the weights (MMEngine's `EMAHook`, `ExpMomentumEMA`) that is
  what validation evaluates. The loss is `EBAKLDiscretLoss(bin_reduction='mean')` in (a)-(d):
  MMPose's `KLDiscretLoss` divided by the batch size, a constant Adam ignores, so "stock SimCC"
  differs from MMPose's only by that constant.
- **Pairing**: {seeds_md(rows)}. A seed fixes the RNG state the model is built
  from, the sampler's order (`sampler.seed`) and every sample's augmentation (`ExactResumeHook`:
  seeded per (seed, epoch, sample)), identically in every variant; so the per-seed difference of
  two variants removes the data-order and augmentation noise they share.
- **Statistics**: per step, the per-seed differences give a paired t interval (n-1 degrees of
  freedom); the {len(STEPS)} single-change steps form one family, corrected with Holm's step-down
  procedure (adjusted p) and shown with Bonferroni-level intervals (simultaneous
  coverage). Verdict: "helps"/"hurts" when the Holm-adjusted p < 0.05, else "bounded within ±x"
  with x the largest end of the family-wise interval (`eba_tools.stats.step_verdicts`).

| | variant | config | its one change |
|---|---|---|---|
{variants_md}

## Results per variant

{results_table(rows)}

Seed-to-seed spread of AP within a variant: {_span(ap_sd)} (std); of the paired differences:
{_span(diff_sd)}.
Mean-pose baseline (the training set's mean pose placed in each box): AP
{base.get('coco/AP', float('nan')):.3f}. Params and MACs: MMEngine's counter on one 96×72 image.
s/epoch: training time per epoch, mean over seeds (two runs shared the two cores).

![AP per variant: dots are seeds, lines join the same seed]({figs['ap']})

![AP against epoch, mean over seeds]({figs['epoch']})

{history_md(results)}## Budget calibration

Measured before the study, one run at a time, to place stock SimCC between AP 0.4 and 0.7
within the time the study may take (about 2 h for {len(CHAIN)} variants × 5 seeds, two runs at
a time):

{_calibration_md()}

## How to read this

This is a proxy: synthetic stick figures at 96×72 on CPU, trained from scratch for a few
thousand iterations, not COCO. It answers "does this part help a small SimCC learn this harder
synthetic set under a fixed short budget". A part that does not help here may still help at the
paper's scale (COCO, 140 epochs from ImageNet weights, 256×192 and larger inputs on a GPU), and
the reverse; the verdicts above are what was measured here. The two loss steps are related:
(d) → (g) changes the reading ('mean' → 'sum'), which changes both the x:y weighting
(1/144 : 1/192 → 1:1) and the overall scale (×~170); (d) → (h) changes the x:y weighting alone,
and (h) → (g) (table above) the scale alone, to which Adam is nearly invariant.

## The earlier study (superseded)

`benchmarks/ablation.json` holds the first ablation (6 variants × 3 seeds at the demo's budget,
configs `configs/ablation/*_1xb16-30e_synthcoco-128x96.py`): every run at AP ≈ 0.1, trained on
nearly flat targets (normalised Gaussians under `label_softmax`), compared with Welch intervals
of unpaired runs; its one "significant" step did not survive pairing or a correction for
multiple comparisons (issue 16). It is kept as a record, not as a result.

## Cost and machine

{len(runs)} runs, {total_h:.2f} h of run wall time in all
({total_h * 60 / max(len(runs), 1):.1f} min per run with validation and start-up; two at a time,
about {total_h / 2:.1f} h elapsed, part of it beside other work — the history above says which), finished
{finished[0] if finished else '?'} to
{finished[-1] if finished else '?'} (UTC), on {m.get('cpu', '?')} (flags:
{', '.join(m.get('cpu_flags', [])) or 'none of interest'}) with {m.get('cpu_count', '?')} cores,
torch {m.get('torch', '?')}, one torch thread and no data worker per run, two runs at a time.

```bash
OMP_NUM_THREADS=1 nohup {command} --jobs 2 > work_dirs/ablation_v2.log 2>&1 &  # resumes
{command} --report-only        # rewrite this page, the figures and the README block
{command} --jobs 2 --variants d h --seeds 17 18 19 20   # more pairs for one step: narrower
```
"""


def plot_steps(steps: Sequence[Dict], path: str) -> None:
    """Paired ΔAP per step: a dot per seed, the 95 % and the family-wise intervals."""
    from matplotlib.figure import Figure
    fig = Figure(figsize=(8, 4.2))
    ax = fig.subplots()
    for i, s in enumerate(steps):
        ax.scatter([i] * len(s['diffs']), s['diffs'], color='k', s=10, zorder=3)
        if 'diff' in s:
            ax.errorbar(i + 0.15, s['diff'], yerr=[[s['diff'] - s['low_adj']],
                                                    [s['high_adj'] - s['diff']]],
                        fmt='none', ecolor='#999999', capsize=4, lw=1)
            ax.errorbar(i + 0.15, s['diff'], yerr=s['half_width'], fmt='o', color='#1f77b4',
                        capsize=4, ms=4)
    ax.axhline(0, color='k', lw=0.8)
    for y in (-BOUND, BOUND):
        ax.axhline(y, color='#d62728', lw=0.8, ls=':')
    ax.set_xticks(range(len(steps)), [f"({s['frm']})→({s['to']})\n"
                                      + textwrap.fill(s['label'], 22) for s in steps],
                  fontsize=6)
    ax.set_ylabel('ΔAP (after − before), per seed')
    ax.set_title('Single-change steps: paired ΔAP (blue: 95 %, grey: family-wise; red: ±0.01)',
                 fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def plot_ap(results: Dict, rows: Sequence[Dict], path: str) -> None:
    """AP per variant: one dot per seed, the same seed joined across variants."""
    from matplotlib.figure import Figure
    from matplotlib import colormaps
    fig = Figure(figsize=(9, 4.6))
    ax = fig.subplots()
    keys = [r['key'] for r in rows]
    ap = {(r['variant'], r['seed']): r['coco/AP'] for r in results['runs']}
    colours = colormaps['tab20'].colors  # one colour per seed up to 20 seeds
    for n, seed in enumerate(sorted({s for _, s in ap})):
        xs = [i for i, k in enumerate(keys) if (k, seed) in ap]
        ax.plot(xs, [ap[keys[i], seed] for i in xs], marker='o', ms=3, lw=0.7, alpha=0.7,
                color=colours[n % len(colours)], label=f'seed {seed}')
    ax.scatter(range(len(rows)), [r['ap_mean'] for r in rows], marker='_', s=400, color='k',
               zorder=3, label='mean')
    ax.set_xticks(range(len(rows)), [f"({r['key']})\n" + textwrap.fill(r['name'], 18)
                                     for r in rows], fontsize=6)
    ax.set_ylabel('CocoMetric AP (synthetic val, GT boxes)')
    ax.set_title('AP per variant (lines join runs of the same seed)', fontsize=10)
    ax.legend(fontsize=6, ncol=1, loc='upper left', bbox_to_anchor=(1.01, 1.0))
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def plot_ap_per_epoch(results: Dict, path: str) -> None:
    """AP against epoch per variant: mean over seeds."""
    import numpy as np
    from matplotlib.figure import Figure
    fig = Figure(figsize=(7, 4.2))
    ax = fig.subplots()
    for key in CHAIN:
        curves: Dict[int, List[float]] = {}
        for r in results['runs']:
            if r['variant'] == key:
                for epoch, ap in r['ap_per_epoch']:
                    curves.setdefault(epoch, []).append(ap)
        if not curves:
            continue
        epochs = sorted(curves)
        ax.plot(epochs, [np.mean(curves[e]) for e in epochs], marker='o', ms=3,
                label=f'({key}) {VARIANT_BY_KEY[key].name}',
                ls='--' if key == REFERENCE else '-')
    ax.set_xlabel('epoch')
    ax.set_ylabel('CocoMetric AP (synthetic val)')
    ax.set_title('AP during training (mean over seeds)', fontsize=10)
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
