"""The main job (``make demo``, ``tools/run_demo.py``): synthetic data -> train with MMPose's
Runner -> CocoMetric beside a mean-pose baseline -> predictions drawn by MMPose's visualizer."""
import json
import os.path as osp
import time
from typing import Dict, Optional

import numpy as np
from mmengine.config import Config
from mmengine.hooks import Hook
from mmengine.logging import print_log
from mmengine.runner import Runner

from .coco_check import check_config_datasets
from .inference import PoseInference, boxes_by_image
from .mean_pose import evaluate_mean_pose
from .synthetic_coco import dataset_is_complete, generate_synthetic_coco

#: Arguments of the embedded default dataset (the demo config's data_root must hold it).
DEMO_DATA = dict(num_train=200, num_val=50, image_size=(256, 256), seed=0)


def set_data_root(cfg: Config, data_root: str) -> None:
    """Point every dataset, box file and evaluator of ``cfg`` at ``data_root`` (in place)."""
    old = cfg.get('data_root')
    root = data_root.rstrip('/') + '/'
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        ds = (cfg.get(loader) or {}).get('dataset')
        if ds is None:
            continue
        ds.data_root = root
        if ds.get('bbox_file') and old:
            ds.bbox_file = ds.bbox_file.replace(old, root)
    for evaluator in ('val_evaluator', 'test_evaluator'):
        ev = cfg.get(evaluator)
        if isinstance(ev, dict) and ev.get('ann_file') and old:
            ev.ann_file = ev.ann_file.replace(old, root)
    cfg.data_root = root


def set_epochs(cfg: Config, epochs: int) -> None:
    """Train ``epochs`` epochs (in place): epoch-based schedulers that ran to the old last epoch,
    or past the new one, end at the new last epoch (a cosine decay keeps covering the run)."""
    old = cfg.train_cfg.max_epochs
    cfg.train_cfg.max_epochs = epochs
    for sched in cfg.get('param_scheduler', None) or []:
        if sched.get('by_epoch', True) and (sched.get('end', 0) >= old
                                            or sched.get('end', 0) > epochs):
            sched['end'] = epochs
            if 'T_max' in sched:
                sched['T_max'] = epochs


def ensure_synthetic_data(data_root: str, **gen_args) -> Dict[str, str]:
    """Generate the synthetic COCO set into ``data_root`` unless an identical one is there."""
    args = dict(DEMO_DATA, **gen_args)
    if dataset_is_complete(data_root, **args):
        print_log(f'synthetic COCO data found in {data_root}', logger='current')
    else:
        print_log(f'generating synthetic COCO data into {data_root} ({args})', logger='current')
        generate_synthetic_coco(data_root, **args)
    return args


def run_demo(config: str, work_dir: str = 'work_dirs/demo', data_root: str = 'data/synthetic_coco',
             max_epochs: Optional[int] = None, num_vis: int = 4, seed: int = 0,
             cfg_options: Optional[Dict] = None) -> Dict:
    """Train ``config`` on the synthetic set, evaluate with CocoMetric, draw a few predictions.

    Args:
        config (str): Training config (``tools/run_demo.py`` passes the demo config).
        work_dir (str): Where logs, checkpoints, ``summary.json`` and ``vis/`` go.
        data_root (str): Synthetic dataset folder; generated if absent.
        max_epochs (int, optional): Override the config's number of epochs.
        num_vis (int): How many validation images to draw predictions on.
        seed (int): Random seed of the run.
        cfg_options (dict, optional): Further config overrides.

    Returns:
        dict: ``metrics`` (CocoMetric), ``baseline`` (mean-pose CocoMetric),
        ``keypoint_scores`` (percentiles, see :class:`KeypointScoreHook`), ``train_time_s``,
        ``checkpoint`` and ``vis`` (image paths).
    """
    cfg = Config.fromfile(config)
    set_data_root(cfg, data_root)
    cfg.work_dir = work_dir
    cfg.randomness = dict(seed=seed)
    if max_epochs is not None:
        set_epochs(cfg, max_epochs)
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    # one evaluation, by runner.test() after training (the train loop would validate too)
    cfg.val_dataloader = cfg.val_evaluator = cfg.val_cfg = None
    ensure_synthetic_data(data_root)
    check_config_datasets(cfg, progress=False)  # clear errors before any training starts

    runner = Runner.from_cfg(cfg)
    start = time.perf_counter()
    runner.train()
    train_time = time.perf_counter() - start
    scores = KeypointScoreHook()
    runner.register_hook(scores, priority='LOWEST')
    metrics = runner.test()
    checkpoint = osp.join(work_dir, f'epoch_{cfg.train_cfg.max_epochs}.pth')

    ds = cfg.test_dataloader.dataset
    baseline = evaluate_mean_pose(osp.join(data_root, 'annotations', 'person_keypoints_train.json'),
                                  ds.to_dict(), cfg.test_evaluator.ann_file)
    vis = draw_predictions(runner, osp.join(work_dir, 'vis'), num_vis, checkpoint)
    summary = dict(config=config, seed=seed, metrics=_floats(metrics),
                   baseline=_floats(baseline), keypoint_scores=scores.stats(),
                   train_time_s=round(train_time, 1),
                   epochs=cfg.train_cfg.max_epochs, checkpoint=checkpoint, vis=vis)
    with open(osp.join(work_dir, 'summary.json'), 'w') as f:
        json.dump(summary, f, indent=2)
    return summary


class KeypointScoreHook(Hook):
    """Keeps the keypoint scores of every prediction the test loop makes (MMPose's decoder, flip
    test as configured), so their spread is known without a second pass over the test set."""

    def __init__(self):
        self.scores = []

    def after_test_iter(self, runner, batch_idx: int, data_batch=None, outputs=None) -> None:
        """Keep the scores of this batch's predictions."""
        self.scores += [s.pred_instances.keypoint_scores.ravel() for s in outputs or ()]

    def stats(self) -> Dict[str, float]:
        """``n``, ``p5``, ``median``, ``p95``, ``max`` and ``above_1`` (the share above 1)."""
        s = np.concatenate(self.scores)
        p5, p50, p95 = np.percentile(s, [5, 50, 95])
        return dict(n=int(s.size), p5=round(float(p5), 4), median=round(float(p50), 4),
                    p95=round(float(p95), 4), max=round(float(s.max()), 4),
                    above_1=round(float((s > 1).mean()), 4))


def draw_predictions(runner: Runner, out_dir: str, num: int,
                     checkpoint: Optional[str] = None) -> list:
    """Draw the trained model's predictions on the first ``num`` test images (their detected
    boxes) with MMPose's ``MMPoseInferencer`` (through :class:`PoseInference`)."""
    boxes, paths = boxes_by_image(runner.test_dataloader.dataset)
    inference = PoseInference(runner.cfg, checkpoint, out_dir, boxes=boxes,
                              kind='detection file', bbox_thr=0.0, kpt_thr=0.0)  # every box
    return [inference.run_one(path)['output'] for path in paths[:num]]


def _floats(metrics: Dict) -> Dict[str, float]:
    return {k: round(float(v), 4) for k, v in metrics.items()}
