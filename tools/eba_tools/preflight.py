"""``tools/train.py``'s pre-flight: what cannot fit, said before MMPose builds anything.

Runs in a second or two (plus reading the training annotation file to count its samples):

- **errors** (training does not start, exit 1): codec, head, decoder and pipelines at different
  input sizes or split ratios (:func:`.config_check.check_sizes`; e.g. a child config that
  changes only the top-level ``codec``, which nothing reads after its base was parsed), a head
  whose ``in_featuremap_size`` / ``in_channels`` is not what the backbone gives
  (:func:`.config_check.check_feature_map`), and pretrained weights that cannot fit the
  backbone (:func:`.inherited_check.pretrained_findings`);
- **warnings** (training starts): a schedule that does not fit ``max_epochs`` or this training
  set (:func:`.inherited_check.schedule_findings`), and SimCC targets the loss sees as nearly
  flat (:func:`.target_check.check_targets`).

``--no-preflight`` on ``tools/train.py`` skips it. ``tools/check_dataset.py`` reports the same
findings and more (the data itself).
"""
import os
import sys
from typing import List

from .config_check import check_feature_map, check_sizes
from .target_check import check_targets
from .inherited_check import Finding, check_inherited, count_train_samples

#: the ``tools/train.py`` option that skips the pre-flight (removed before MMPose parses argv)
SKIP_OPTION = '--no-preflight'


def world_size(args) -> int:
    """Training processes: ``WORLD_SIZE`` under a launcher, else 1."""
    if getattr(args, 'launcher', 'none') in (None, 'none'):
        return 1
    try:
        return max(1, int(os.environ.get('WORLD_SIZE', '1')))
    except ValueError:
        return 1


def preflight_findings(cfg, processes: int = 1, count: bool = True) -> List[Finding]:
    """Every pre-flight finding of ``cfg``: errors first, then warnings.

    Args:
        cfg (Config): The config.
        processes (int): Training processes (the batch is per process). Defaults to 1.
        count (bool): Read the training annotation file to judge the warm-up. Defaults to True.
    """
    found = [Finding('error', p) for p in check_sizes(cfg) + check_feature_map(cfg)]
    found += check_inherited(cfg, count_train_samples(cfg) if count else None, processes)
    found += [Finding('warning', p) for p in check_targets(cfg)]
    return sorted(found, key=lambda f: f.level != 'error')


def run_preflight(cfg, args, prog: str) -> int:
    """Print the findings on stderr (rank 0 only) and return how many are errors (every rank
    finds the errors; only rank 0 reads the annotation file for the warm-up warning)."""
    first = os.environ.get('RANK', '0') == '0'
    found = preflight_findings(cfg, world_size(args), count=first)
    if first:
        for f in found:
            print(f'{prog}: {f.level}: {f.text}', file=sys.stderr)
        errors = sum(f.level == 'error' for f in found)
        if errors:
            print(f'{prog}: {errors} setting(s) above cannot fit, training not started (fix '
                  f'them, or pass {SKIP_OPTION} to start anyway)', file=sys.stderr)
    return sum(f.level == 'error' for f in found)
