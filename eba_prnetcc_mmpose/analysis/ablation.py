"""Seeded ablation of EBA-PRNetCC against stock SimCC on the embedded synthetic data.

Every variant is a config under ``configs/ablation/`` that inherits the demo config and states
only its difference, so all variants share one budget: data, epochs, augmentation, optimizer,
schedule, input size and widths. Each (variant, seed) run trains through MMEngine's ``Runner``,
is validated with MMPose's ``CocoMetric`` every few epochs, and becomes one record of a JSON file
that is rewritten after every run, so an interrupted study resumes where it stopped. The report
(markdown tables, figures, the README block) is generated from that JSON only.

The statistics are deliberately simple: mean and sample standard deviation over seeds, and for a
difference of two variants a Welch two-sample t interval (unequal variances,
Welch-Satterthwaite degrees of freedom; the t quantile from SciPy, a runtime requirement).
"""
import gc
import json
import math
import os
import os.path as osp
import platform
import shutil
import statistics
import time
from dataclasses import asdict, dataclass
from typing import Callable, Dict, List, Optional, Sequence, Tuple

from mmengine.config import Config
from mmengine.hooks import Hook

#: CocoMetric keys copied into every run record.
METRIC_KEYS = ('coco/AP', 'coco/AP .5', 'coco/AP .75', 'coco/AP (M)', 'coco/AP (L)', 'coco/AR',
               'coco/AR .5', 'coco/AR .75', 'coco/AR (M)', 'coco/AR (L)')
#: Start and end markers of the generated block in README.md.
README_START = '<!-- ablation:start -->'
README_END = '<!-- ablation:end -->'
#: The variant every other one is compared with.
REFERENCE = 'a'


@dataclass(frozen=True)
class Variant:
    """One ablation variant.

    Args:
        key (str): Short name, ``'a'`` ... ``'f'``.
        name (str): What the variant is, for tables.
        config (str): Config path relative to the repository root.
        change (str): Its single difference to ``parent`` (or what it is, for the reference).
        parent (str, optional): The variant it differs from by one change.
    """

    key: str
    name: str
    config: str
    change: str
    parent: Optional[str] = None


_CFG = 'configs/ablation/{}_1xb16-30e_synthcoco-128x96.py'
#: The six variants of issue 11. Single-change chain: a -> b -> c -> f -> d, and d -> e.
VARIANTS: Tuple[Variant, ...] = (
    Variant('a', 'stock SimCC', _CFG.format('a_simcc_res18'),
            "MMPose ResNet (ReLU) + SimCCHead + MMPose KLDiscretLoss (the zoo's components)"),
    Variant('b', '+ MLP-Mish head', _CFG.format('b_simcc_res18-mlp'),
            'SimCCHead -> MLPSimCCHead (BN + Mish deconvolutions, Linear-Mish-Linear per axis)',
            'a'),
    Variant('c', '+ bridge attention (ReLU trunk)', _CFG.format('c_simcc_ba-res18-relu-mlp'),
            'ResNet -> EBAResNet with a ReLU trunk (bridge attention, Mish in its generation step)',
            'b'),
    Variant('d', 'EBA-PRNetCC (demo)', _CFG.format('d_simcc_eba-res18-mlp'),
            "MMPose KLDiscretLoss -> the paper's EBAKLDiscretLoss (same beta, label_softmax)", 'f'),
    Variant('e', 'EBA-PRNetCC, SE in place of the bridge', _CFG.format('e_simcc_se-res18-mlp'),
            'bridge attention -> squeeze-and-excitation (num_bridged=1)', 'd'),
    Variant('f', "EBA-PRNetCC with MMPose's loss", _CFG.format('f_simcc_eba-res18-mlp-mmposekl'),
            'ReLU trunk -> Mish trunk (stem and blocks)', 'c'),
)
VARIANT_BY_KEY: Dict[str, Variant] = {v.key: v for v in VARIANTS}
_CHAIN = 'abcfde'  # the order of the single-change steps


@dataclass(frozen=True)
class Budget:
    """What every run of a study gets (the rest comes from the demo config, shared by all).

    Args:
        epochs (int): Training epochs. Defaults to 30 (the demo's).
        num_train (int): Synthetic training images. Defaults to 200 (the demo's).
        num_val (int): Synthetic validation images. Defaults to 50 (the demo's).
        val_interval (int): Validate (CocoMetric) every this many epochs and after the last.
        data_seed (int): Seed of the synthetic data (the same for every run).
    """

    epochs: int = 30
    num_train: int = 200
    num_val: int = 50
    val_interval: int = 5
    data_seed: int = 0


#: ``--quick``: one variant, one seed, one epoch, tiny data (for the tests).
QUICK_BUDGET = Budget(epochs=1, num_train=8, num_val=4, val_interval=1)


# --------------------------------------------------------------------------- statistics
def mean_std(values: Sequence[float]) -> Tuple[float, float]:
    """Mean and sample standard deviation (``ddof=1``; 0.0 for a single value).

    Args:
        values (Sequence[float]): At least one value.

    Returns:
        tuple[float, float]: ``(mean, std)``.
    """
    if not values:
        raise ValueError('mean_std needs at least one value')
    mean = statistics.fmean(values)
    return mean, (statistics.stdev(values) if len(values) > 1 else 0.0)


def welch_interval(x: Sequence[float], y: Sequence[float],
                   confidence: float = 0.95) -> Dict[str, float]:
    """Welch's t interval for ``mean(x) - mean(y)`` (unequal variances).

    ``se = sqrt(sx^2/nx + sy^2/ny)``, Welch-Satterthwaite
    ``df = se^4 / ((sx^2/nx)^2/(nx-1) + (sy^2/ny)^2/(ny-1))`` and the interval
    ``diff -/+ t_{(1+confidence)/2, df} * se``.

    Args:
        x (Sequence[float]): First sample (at least 2 values).
        y (Sequence[float]): Second sample (at least 2 values).
        confidence (float): Two-sided confidence level. Defaults to 0.95.

    Returns:
        dict: ``diff``, ``low``, ``high``, ``se``, ``df``, ``t`` (the quantile used) and
        ``inside_noise`` (True when the interval contains 0).

    Raises:
        ValueError: if a sample has fewer than 2 values.
    """
    from scipy.stats import t as student_t
    if len(x) < 2 or len(y) < 2:
        raise ValueError(f'welch_interval needs >= 2 values per sample, got {len(x)} and '
                         f'{len(y)}')
    (mx, sx), (my, sy) = mean_std(x), mean_std(y)
    vx, vy = sx**2 / len(x), sy**2 / len(y)
    se = math.sqrt(vx + vy)
    diff = mx - my
    if se == 0.0:  # identical values in both samples: no spread to speak of
        return dict(diff=diff, low=diff, high=diff, se=0.0, df=math.inf, t=math.nan,
                    inside_noise=diff == 0.0)
    df = (vx + vy)**2 / (vx**2 / (len(x) - 1) + vy**2 / (len(y) - 1))
    t = float(student_t.ppf(0.5 + confidence / 2, df))
    low, high = diff - t * se, diff + t * se
    return dict(diff=diff, low=low, high=high, se=se, df=df, t=t,
                inside_noise=bool(low <= 0.0 <= high))


# --------------------------------------------------------------------------- running
class StudyClock:
    """Estimates the time left in the current run and in the whole study.

    Args:
        num_runs (int): Runs this invocation will train.
    """

    def __init__(self, num_runs: int):
        self.num_runs = num_runs
        self.finished: List[float] = []  # wall seconds of the runs finished in this invocation

    def left(self, run_elapsed: float, epochs_done: int, epochs_total: int) -> Tuple[float, float]:
        """Seconds left in the current run and in the study (this run included).

        Args:
            run_elapsed (float): Seconds since the current run started.
            epochs_done (int): Epochs it has finished.
            epochs_total (int): Epochs it will train.

        Returns:
            tuple[float, float]: ``(run_left, study_left)``.
        """
        run_total = run_elapsed * epochs_total / max(epochs_done, 1)
        run_left = max(run_total - run_elapsed, 0.0)
        # the current run's pace, not the mean of earlier runs: the load of a shared machine
        # changes, and the latest pace predicts the next runs best
        later = self.num_runs - len(self.finished) - 1
        return run_left, run_left + max(later, 0) * run_total


class AblationRunHook(Hook):
    """Times the training epochs, keeps every validation's metrics and prints progress.

    Args:
        tag (str): Printed in front of every progress line (variant, seed, run i/N).
        clock (StudyClock): Time-left estimator of the study.
    """

    priority = 'VERY_LOW'

    def __init__(self, tag: str, clock: StudyClock):
        self.tag = tag
        self.clock = clock
        self.start = time.perf_counter()
        self.epoch_start = 0.0
        self.epoch_times: List[float] = []
        self.val_history: List[Dict[str, float]] = []

    def before_train_epoch(self, runner) -> None:
        """Start the epoch's stopwatch."""
        self.epoch_start = time.perf_counter()

    def after_train_epoch(self, runner) -> None:
        """Record the epoch's training time and print the progress line."""
        self.epoch_times.append(time.perf_counter() - self.epoch_start)
        done, total = runner.epoch + 1, runner.max_epochs
        run_left, study_left = self.clock.left(time.perf_counter() - self.start, done, total)
        print(f'[ablation] {self.tag} | epoch {done}/{total} | '
              f'{self.epoch_times[-1]:.1f} s/epoch | run ~{_hms(run_left)} left | '
              f'study ~{_hms(study_left)} left', flush=True)

    def after_val_epoch(self, runner, metrics: Optional[Dict[str, float]] = None) -> None:
        """Keep the CocoMetric values of this validation."""
        if metrics:
            self.val_history.append(dict(epoch=runner.epoch, **{
                k: round(float(v), 4) for k, v in metrics.items() if k in METRIC_KEYS}))
            print(f"[ablation] {self.tag} | epoch {runner.epoch} val: "
                  f"AP {self.val_history[-1].get('coco/AP', float('nan')):.4f}", flush=True)


def _hms(seconds: float) -> str:
    seconds = int(round(seconds))
    return f'{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}'


def _set_epochs(cfg: Config, epochs: int) -> None:
    """Train ``epochs`` epochs; epoch-based schedulers that ran to the end still do (in place)."""
    old = cfg.train_cfg.max_epochs
    cfg.train_cfg.max_epochs = epochs
    for sched in cfg.get('param_scheduler', None) or []:
        if sched.get('by_epoch', True) and (sched.get('end', 0) >= old
                                            or sched.get('end', 0) > epochs):
            sched['end'] = epochs
            if 'T_max' in sched:
                sched['T_max'] = epochs


def build_run_config(variant: Variant, seed: int, budget: Budget, work_dir: str, data_root: str,
                     repo_root: str, num_workers: int = 1) -> Config:
    """The config of one run: the variant's config with the study's budget, seed and paths.

    Args:
        variant (Variant): Which variant.
        seed (int): Training seed (``randomness.seed``).
        budget (Budget): Epochs, validation interval (data size is in ``data_root``).
        work_dir (str): The run's work dir.
        data_root (str): Synthetic dataset of the study.
        repo_root (str): Repository root (variant configs are relative to it).
        num_workers (int): Data-loading worker processes per dataloader.

    Returns:
        Config: Ready for ``Runner.from_cfg``.
    """
    from ..apis import set_data_root
    cfg = Config.fromfile(osp.join(repo_root, variant.config))
    set_data_root(cfg, data_root)
    cfg.work_dir = work_dir
    cfg.randomness = dict(seed=seed)
    _set_epochs(cfg, budget.epochs)
    cfg.train_cfg.val_interval = budget.val_interval
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        cfg[loader].num_workers = num_workers
        cfg[loader].persistent_workers = num_workers > 0
    # the final weights only (no optimizer state): small, enough to re-test a run
    cfg.default_hooks.checkpoint = dict(type='CheckpointHook', interval=budget.epochs,
                                        max_keep_ckpts=1, save_optimizer=False)
    return cfg


def train_one(variant: Variant, seed: int, budget: Budget, work_dir: str, data_root: str,
              repo_root: str, clock: StudyClock, tag: str, num_workers: int = 1) -> Dict:
    """Train and validate one (variant, seed) run through MMEngine's ``Runner``.

    Args:
        variant (Variant): Which variant.
        seed (int): Training seed.
        budget (Budget): The study's budget.
        work_dir (str): The run's work dir (emptied first: a run is never half-resumed).
        data_root (str): Synthetic dataset of the study.
        repo_root (str): Repository root.
        clock (StudyClock): Time-left estimator.
        tag (str): Progress-line prefix.
        num_workers (int): Data-loading workers per dataloader.

    Returns:
        dict: The run record, without the complexity fields.
    """
    from mmengine.runner import Runner
    if osp.isdir(work_dir):
        shutil.rmtree(work_dir)
    cfg = build_run_config(variant, seed, budget, work_dir, data_root, repo_root, num_workers)
    load_start = os.getloadavg()[0]
    start = time.perf_counter()
    runner = Runner.from_cfg(cfg)
    hook = AblationRunHook(tag, clock)
    runner.register_hook(hook)
    runner.train()
    wall = time.perf_counter() - start
    del runner
    gc.collect()  # drop the dataloaders (and their worker processes) before the next run
    if not hook.val_history or hook.val_history[-1]['epoch'] != budget.epochs:
        raise RuntimeError(f'{tag}: no validation after the last epoch; CocoMetric gave '
                           f'{hook.val_history}')
    final = hook.val_history[-1]
    train_time = sum(hook.epoch_times)
    return dict(
        variant=variant.key, name=variant.name, config=variant.config, seed=seed,
        epochs=budget.epochs, num_train=budget.num_train, num_val=budget.num_val,
        train_time_s=round(train_time, 1), s_per_epoch=round(train_time / budget.epochs, 2),
        wall_time_s=round(wall, 1), **{k: final[k] for k in METRIC_KEYS if k in final},
        ap_per_epoch=[[h['epoch'], h['coco/AP']] for h in hook.val_history],
        load_avg_1m=[round(load_start, 2), round(os.getloadavg()[0], 2)],
        torch_threads=_torch_threads(), num_workers=num_workers, work_dir=work_dir,
        finished_at=time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime()))


def _torch_threads() -> int:
    import torch
    return torch.get_num_threads()


def variant_complexity(variant: Variant, repo_root: str) -> Dict[str, int]:
    """Parameters and MACs of one variant's model (MMEngine's counter, one image)."""
    from .complexity import measure_complexity
    c = measure_complexity(osp.join(repo_root, variant.config))
    return dict(params=int(c['params']), macs=int(c['flops']))


def load_results(path: str) -> Dict:
    """The study JSON at ``path`` (an empty study if there is none)."""
    if not osp.isfile(path):
        return dict(runs=[], variants={})
    with open(path) as f:
        return json.load(f)


def save_results(results: Dict, path: str) -> None:
    """Write the study JSON atomically (a crash never leaves half a file)."""
    os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
    tmp = path + '.tmp'
    with open(tmp, 'w') as f:
        json.dump(results, f, indent=1)
    os.replace(tmp, path)


def machine_info() -> Dict:
    """CPU, core count and torch version of this machine."""
    import torch
    return dict(cpu=platform.processor() or platform.machine(), cores=os.cpu_count(),
                python=platform.python_version(), torch=torch.__version__)


def run_study(variants: Sequence[str], seeds: Sequence[int], budget: Budget, out: str,
              work_root: str, data_root: str, repo_root: str, num_workers: int = 1,
              after_run: Optional[Callable[[Dict], None]] = None) -> Dict:
    """Train every missing (variant, seed) run of a study and return the updated results.

    Runs already in ``out`` with the same budget are not repeated. Runs go seed-major (every
    variant with seed 0, then seed 1, ...), so an interrupted study is balanced across variants.

    Args:
        variants (Sequence[str]): Variant keys, e.g. ``['a', 'b']``.
        seeds (Sequence[int]): Training seeds.
        budget (Budget): The study's budget.
        out (str): Study JSON (read, then rewritten after every run).
        work_root (str): Runs go to ``work_root/<variant>_seed<seed>``.
        data_root (str): Synthetic dataset (generated for ``budget`` if absent).
        repo_root (str): Repository root.
        num_workers (int): Data-loading workers per dataloader.
        after_run (callable, optional): Called with the results after every run.

    Returns:
        dict: The study results (``budget``, ``machine``, ``variants``, ``baseline``, ``runs``).

    Raises:
        ValueError: for an unknown variant, or if ``out`` holds a study with another budget.
    """
    unknown = [v for v in variants if v not in VARIANT_BY_KEY]
    if unknown:
        raise ValueError(f'unknown variant(s) {unknown}; known: {sorted(VARIANT_BY_KEY)}')
    results = load_results(out)
    if results['runs'] and results.get('budget') != asdict(budget):
        raise ValueError(
            f'{out} holds a study with budget {results.get("budget")}, not {asdict(budget)}. '
            f'Pass another --out (and --work-dir), or delete {out} to start over.')
    results['budget'] = asdict(budget)
    results['generated_by'] = 'tools/analysis/ablation.py'
    from ..apis import ensure_synthetic_data
    from ..datasets.check import check_config_datasets
    ensure_synthetic_data(data_root, num_train=budget.num_train, num_val=budget.num_val,
                          seed=budget.data_seed)
    # clear errors before any training starts (every variant reads the same data)
    check_config_datasets(build_run_config(VARIANT_BY_KEY[variants[0]], 0, budget, work_root,
                                           data_root, repo_root), progress=False)
    if 'baseline' not in results:
        results['baseline'] = _mean_pose_baseline(variants[0], budget, work_root, data_root,
                                                  repo_root)
    for key in variants:
        if key not in results['variants']:
            v = VARIANT_BY_KEY[key]
            results['variants'][key] = dict(name=v.name, config=v.config, change=v.change,
                                            parent=v.parent, **variant_complexity(v, repo_root))
    save_results(results, out)

    done = {(r['variant'], r['seed']) for r in results['runs']}
    todo = [(k, s) for s in seeds for k in variants if (k, s) not in done]
    skipped = len(variants) * len(seeds) - len(todo)
    print(f'[ablation] {len(todo)} runs to train ({skipped} already in {out}); budget '
          f'{asdict(budget)}', flush=True)
    clock = StudyClock(len(todo))
    for i, (key, seed) in enumerate(todo):
        variant = VARIANT_BY_KEY[key]
        tag = f'run {i + 1}/{len(todo)} ({key}) {variant.name} seed {seed}'
        print(f'[ablation] {tag}: starting ({variant.config})', flush=True)
        start = time.perf_counter()
        record = train_one(variant, seed, budget, osp.join(work_root, f'{key}_seed{seed}'),
                           data_root, repo_root, clock, tag, num_workers)
        clock.finished.append(time.perf_counter() - start)
        record.update(params=results['variants'][key]['params'],
                      macs=results['variants'][key]['macs'])
        results['runs'].append(record)
        results['machine'] = machine_info()
        save_results(results, out)
        print(f"[ablation] {tag}: done, AP {record['coco/AP']:.4f} in "
              f"{record['wall_time_s']:.0f} s ({record['s_per_epoch']:.1f} s/epoch); wrote {out}",
              flush=True)
        if after_run is not None:
            after_run(results)
    return results


def _mean_pose_baseline(key: str, budget: Budget, work_root: str, data_root: str,
                        repo_root: str) -> Dict[str, float]:
    """CocoMetric of the training set's mean pose placed in each val box (a trivial floor)."""
    from ..evaluation import evaluate_mean_pose
    cfg = build_run_config(VARIANT_BY_KEY[key], 0, budget, work_root, data_root, repo_root)
    m = evaluate_mean_pose(osp.join(data_root, 'annotations', 'person_keypoints_train.json'),
                           cfg.test_dataloader.dataset.to_dict(), cfg.test_evaluator.ann_file)
    return {k: round(float(v), 4) for k, v in m.items() if k in METRIC_KEYS}


# --------------------------------------------------------------------------- reporting
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
    chain = [v.key for v in sorted(VARIANTS, key=lambda v: _CHAIN.index(v.key))]
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
               f"{_t975(max(dfs)):.2f}-{_t975(min(dfs)):.2f})" if dfs else 'no interval yet')
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
{m.get('cores', '?')} cores, {runs[0].get('torch_threads', '?') if runs else '?'} torch threads
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


def _t975(df: float) -> float:
    from scipy.stats import t as student_t
    return float(student_t.ppf(0.975, df))


def plot_ap(rows: Sequence[Dict], path: str) -> None:
    """AP per variant: mean ± std bars and the single runs as dots."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(8, 4.2))
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
    plt.close(fig)


def plot_ap_per_epoch(results: Dict, path: str) -> None:
    """AP against epoch per variant: mean over seeds, ± std band."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    import numpy as np
    fig, ax = plt.subplots(figsize=(7, 4.2))
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
    plt.close(fig)
