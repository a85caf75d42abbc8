"""Seeded ablation of EBA-PRNetCC against stock SimCC on the embedded synthetic data.

Every variant is a config under ``configs/ablation/`` that inherits the demo config and states
only its difference, so all variants share one budget: data, epochs, augmentation, optimizer,
schedule, input size and widths. Each (variant, seed) run trains through MMEngine's ``Runner``,
is validated with MMPose's ``CocoMetric`` every few epochs, and becomes one record of a JSON file
that is rewritten after every run, so an interrupted study resumes where it stopped. The report
(:mod:`eba_tools.ablation_report`: markdown tables, figures, the README block) is generated from
that JSON only; ``tools/analysis/ablation.py`` runs both.
"""
import gc
import json
import os
import os.path as osp
import shutil
import time
from dataclasses import asdict, dataclass
from typing import Dict, List, Optional, Sequence, Tuple

from mmengine.config import Config
from mmengine.hooks import Hook

from .coco_check import check_config_datasets
from .complexity import measure_complexity
from .demo_job import ensure_synthetic_data, set_data_root, set_epochs
from .machine import machine_info
from .mean_pose import evaluate_mean_pose

#: CocoMetric keys copied into every run record.
METRIC_KEYS = ('coco/AP', 'coco/AP .5', 'coco/AP .75', 'coco/AP (M)', 'coco/AP (L)', 'coco/AR',
               'coco/AR .5', 'coco/AR .75', 'coco/AR (M)', 'coco/AR (L)')
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
#: The six variants. Single-change chain: a -> b -> c -> f -> d, and d -> e.
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
#: The order of the single-change steps.
CHAIN = 'abcfde'


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
    cfg = Config.fromfile(osp.join(repo_root, variant.config))
    set_data_root(cfg, data_root)
    cfg.work_dir = work_dir
    cfg.randomness = dict(seed=seed)
    set_epochs(cfg, budget.epochs)
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


def run_study(variants: Sequence[str], seeds: Sequence[int], budget: Budget, out: str,
              work_root: str, data_root: str, repo_root: str, num_workers: int = 1) -> Dict:
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
        results['machine'] = machine_info('cpu')
        save_results(results, out)
        print(f"[ablation] {tag}: done, AP {record['coco/AP']:.4f} in "
              f"{record['wall_time_s']:.0f} s ({record['s_per_epoch']:.1f} s/epoch); wrote {out}",
              flush=True)
    return results


def _mean_pose_baseline(key: str, budget: Budget, work_root: str, data_root: str,
                        repo_root: str) -> Dict[str, float]:
    """CocoMetric of the training set's mean pose placed in each val box (a trivial floor)."""
    cfg = build_run_config(VARIANT_BY_KEY[key], 0, budget, work_root, data_root, repo_root)
    m = evaluate_mean_pose(osp.join(data_root, 'annotations', 'person_keypoints_train.json'),
                           cfg.test_dataloader.dataset.to_dict(), cfg.test_evaluator.ann_file)
    return {k: round(float(v), 4) for k, v in m.items() if k in METRIC_KEYS}
