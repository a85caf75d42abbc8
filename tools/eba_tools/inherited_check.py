"""Settings a config inherits (typically from a stock MMPose config) that cannot fit it.

A child of ``simcc_res50_8xb64-210e_coco-256x192.py`` that swaps in ``EBAResNet`` depth 34 and
its own keypoints keeps, unless it says otherwise, the base's ``init_cfg`` (ResNet-50 weights),
its warm-up (500 iterations, sized for COCO at batch 512) and its validation and LR milestones
(sized for 210 epochs). MMEngine runs all of them without a word: it loads the tensors of a
checkpoint whose names and shapes happen to match and skips the rest, and a warm-up or a
milestone is just a number. This module names each one:

- **pretrained weights** (``init_cfg=dict(type='Pretrained', ...)`` of the backbone or neck): a
  local file's tensor names and shapes are compared with the built module (a ResNet's depth is
  read from its blocks), through the project's restricted loader
  (:func:`eba_prnetcc_mmpose.utils.load_checkpoint_safely`); a URL is judged by its name
  (``torchvision://resnet50`` is a ResNet-50) and never downloaded. Errors.
- **the schedule against this dataset**: a warm-up longer than :data:`WARMUP_MAX_EPOCHS`
  epochs of the training set (iterations per epoch from the annotation file and the batch
  size), ``val_interval`` past ``max_epochs``, epoch milestones and ends past ``max_epochs``.
  Warnings: the run works, but not as the numbers suggest.

``tools/check_dataset.py`` reports both (errors fail the check); ``tools/train.py`` runs them
before it starts (:mod:`.preflight`).
"""
import json
import math
import os.path as osp
import re
from typing import Dict, List, NamedTuple, Optional, Tuple

#: a warm-up longer than this many epochs of the training set is reported
WARMUP_MAX_EPOCHS = 5
#: the ResNet depths torchvision publishes ImageNet weights for
TORCHVISION_RESNETS = (18, 34, 50, 101, 152)
#: backbone families a checkpoint's name can give away (other than ResNets)
OTHER_FAMILIES = ('mobilenet', 'shufflenet', 'hrnet', 'vipnas', 'swin', 'vit', 'cspnext',
                  'rtmpose', 'regnet', 'efficientnet', 'convnext', 'hourglass', 'mspn', 'rsn',
                  'cpm', 'pvt', 'densenet', 'vgg', 'resnest', 'res2net', 'scnet', 'tcformer')
_RESNET_NAME = re.compile(
    r'(?<![a-z0-9])(wide_)?(se)?res(ne(?:xt|t))?(?:v1[bcd])?[-_]?(\d{2,3})(?![0-9])')
_WARMUP_TYPES = ('LinearLR', 'ConstantLR')


class Finding(NamedTuple):
    """One inherited setting that does not fit: ``level`` is ``'error'`` or ``'warning'``."""
    level: str
    text: str


# ---------------------------------------------------------------------- pretrained weights
def _pretrained(section: Dict) -> Optional[Tuple[str, Optional[str]]]:
    """``(checkpoint, prefix)`` of a ``Pretrained`` init_cfg of a model section, if any."""
    init = section.get('init_cfg')
    for item in init if isinstance(init, (list, tuple)) else [init]:
        if isinstance(item, dict) and item.get('type') == 'Pretrained' and item.get('checkpoint'):
            return str(item['checkpoint']), item.get('prefix')
    return None


def _resnet_class(section: Dict):
    """The registered class of ``section`` if it is MMPose's ResNet or a subclass, else None."""
    import inspect

    from mmpose.models.backbones import ResNet
    from mmpose.registry import MODELS
    cls = MODELS.get(str(section.get('type', '')))
    return cls if inspect.isclass(cls) and issubclass(cls, ResNet) else None


def describe_name(checkpoint: str) -> Optional[Dict]:
    """What a checkpoint's name says: ``family`` (``'resnet'``, ``'resnext'``, ``'wide_resnet'``
    or another family's keyword) and ``depth`` for ResNets; None when it says nothing."""
    name = osp.basename(checkpoint.split('://')[-1]).lower()
    m = _RESNET_NAME.search(name)
    if m:
        family = ('wide_resnet' if m.group(1) else
                  'resnext' if (m.group(3) or '').endswith('xt') else 'resnet')
        return dict(family=family, depth=int(m.group(4)), name=name)
    for other in OTHER_FAMILIES:
        if other in name:
            return dict(family=other, depth=None, name=name)
    return None


def _by_name(where: str, section: Dict, checkpoint: str) -> List[Finding]:
    said = describe_name(checkpoint)
    if said is None:
        return []
    cls = _resnet_class(section)
    kind = section.get('type')
    depth = section.get('depth')
    ours = f'{kind} depth {depth}' if cls is not None else str(kind)
    theirs = (f"a {said['family'].replace('_', ' ').title().replace('Resn', 'ResN')}-"
              f"{said['depth']}" if said['depth'] else f"a {said['family']} model")
    if cls is not None and said['depth'] is not None:
        from mmpose.models.backbones import ResNeXt
        same_family = (said['family'] == 'resnext') == issubclass(cls, ResNeXt) and \
            said['family'] != 'wide_resnet'
        fits = same_family and said['depth'] == depth
    else:  # another family's keyword must be in the backbone's type name
        fits = cls is None and said['depth'] is None and \
            said['family'] in str(kind).lower().replace('_', '')
    if fits:
        return []
    fix = ("init_cfg=None to train from scratch, or a checkpoint of the same architecture")
    if cls is not None and depth in TORCHVISION_RESNETS and checkpoint.startswith('torchvision://'):
        fix = f"checkpoint='torchvision://resnet{depth}', or init_cfg=None to train from scratch"
    return [Finding('error', (
        f"{where}.init_cfg checkpoint {checkpoint!r} is {theirs} by its name, but {where} is "
        f'{ours}: its weights cannot fit (MMEngine would load only the tensors whose names and '
        f'shapes happen to match and skip the rest, with no error). Set {fix} (judged by the '
        f'name; nothing was downloaded)'))]


def _state_dict(checkpoint) -> Dict:
    sd = checkpoint.get('state_dict', checkpoint) if isinstance(checkpoint, dict) else {}
    return {re.sub(r'^module\.', '', k): v for k, v in sd.items()
            if isinstance(k, str) and hasattr(v, 'shape')}


def resnet_arch(state_dict: Dict) -> Optional[Tuple[str, Tuple[int, ...]]]:
    """``(block, blocks per stage)`` of a ResNet trunk's tensor names, None if it has none."""
    stages = []
    for i in range(1, 5):
        blocks = {int(m.group(1)) for k in state_dict
                  for m in [re.match(rf'layer{i}\.(\d+)\.', k)] if m}
        if not blocks:
            break
        stages.append(max(blocks) + 1)
    if not stages:
        return None
    block = 'Bottleneck' if any(k.startswith('layer1.0.conv3.') for k in state_dict) \
        else 'BasicBlock'
    return block, tuple(stages)


def _resnet_depth(cls, arch: Tuple[str, Tuple[int, ...]]) -> Optional[int]:
    """The depth of ``cls.arch_settings`` with ``arch``'s block type and stage lengths."""
    for depth, (block, stages) in cls.arch_settings.items():
        if tuple(stages) == arch[1] and arch[0] in [b.__name__ for b in block.__mro__]:
            return depth
    return None


def _build(section: Dict, scope: str):
    from mmengine.registry import DefaultScope
    from mmpose.registry import MODELS
    section = {k: v for k, v in section.items() if k != 'init_cfg'}
    with DefaultScope.overwrite_default_scope(scope):
        return MODELS.build(section)


def _top_prefixes(names) -> List[str]:
    return sorted({n.split('.')[0] + '.' for n in names})[:4]


def _by_tensors(where: str, section: Dict, path: str, prefix: Optional[str],
                scope: str) -> List[Finding]:
    from eba_prnetcc_mmpose.utils import CheckpointLoadError, load_checkpoint_safely
    head = f'{where}.init_cfg checkpoint {path}'
    try:
        sd = _state_dict(load_checkpoint_safely(path, map_location='cpu'))
    except (CheckpointLoadError, OSError, ValueError) as e:
        return [Finding('error', f'{head} cannot be read: {type(e).__name__}: {e}')]
    if not sd:
        return [Finding('error', f'{head} holds no tensors (no state_dict)')]
    if prefix:
        prefix = prefix if prefix.endswith('.') else prefix + '.'
        picked = {k[len(prefix):]: v for k, v in sd.items() if k.startswith(prefix)}
        if not picked:
            return [Finding('error', (
                f"{head}: no tensor name starts with prefix={prefix!r} (its names start with "
                f"{', '.join(_top_prefixes(sd))}); MMEngine would stop at init_weights"))]
        sd = picked
    try:
        module = _build(section, scope)
    except Exception:  # the config checks name unknown types and bad arguments
        return []
    ours = {k: tuple(v.shape) for k, v in module.state_dict().items()}
    theirs = {k: tuple(v.shape) for k, v in sd.items()}
    cls = _resnet_class(section)
    arch = resnet_arch(theirs) if cls is not None else None
    if arch is not None:
        depth = _resnet_depth(cls, arch)
        if depth != section.get('depth'):
            held = (f'a ResNet-{depth}' if depth else 'a ResNet trunk') + \
                f" ({arch[0]}, {'-'.join(map(str, arch[1]))} blocks)"
            return [Finding('error', (
                f"{head} holds {held} but {where} is {section.get('type')} depth "
                f"{section.get('depth')}: its weights cannot fit (MMEngine would load only "
                f'the tensors whose names and shapes happen to match). Use a depth-'
                f"{section.get('depth')} checkpoint or init_cfg=None"))]
    common = [k for k in ours if k in theirs]
    other = [k for k in common if ours[k] != theirs[k]]
    if not common:
        hint = ''
        if any(k.startswith('backbone.') for k in theirs) and not prefix:
            hint = " (it is a whole model's checkpoint: add prefix='backbone.')"
        return [Finding('error', (
            f"{head}: none of its {len(theirs)} tensors has a name of {where}'s "
            f"(its names start with {', '.join(_top_prefixes(theirs))}){hint}: nothing "
            f'would be loaded'))]
    if other:
        k = other[0]
        return [Finding('error', (
            f'{head}: {len(other)} of the {len(common)} tensors it shares with {where} have '
            f'another shape, e.g. {k}: {theirs[k]} in the file, {ours[k]} in the model; '
            f'MMEngine would skip them and train those layers from their init. Use a checkpoint '
            f'of this architecture (depth, widths, channels) or init_cfg=None'))]
    return []


def pretrained_findings(cfg, build: bool = True) -> List[Finding]:
    """Errors for ``Pretrained`` checkpoints of the backbone / neck that cannot fit it.

    Args:
        cfg (Config): The config.
        build (bool): Compare a local file's tensors with the built module (else only that
            it exists). Defaults to True.
    """
    model = cfg.get('model') or {}
    scope = cfg.get('default_scope', 'mmpose')
    found = []
    for part in ('backbone', 'neck'):
        section = model.get(part)
        if not isinstance(section, dict) or _pretrained(section) is None:
            continue
        checkpoint, prefix = _pretrained(section)
        where = f'model.{part}'
        if '://' in checkpoint:
            found += _by_name(where, section, checkpoint)
        elif not osp.isfile(osp.expanduser(checkpoint)):
            found.append(Finding('error', (
                f'{where}.init_cfg checkpoint {checkpoint} not found: MMEngine would stop at '
                f'init_weights, after building the datasets. Fix the path, or init_cfg=None')))
        elif build:
            found += _by_tensors(where, section, osp.expanduser(checkpoint), prefix, scope)
    return found


# ---------------------------------------------------------------------- schedule vs dataset
def count_train_samples(cfg) -> Optional[int]:
    """Top-down training samples of a COCO-style training set: annotations that are not crowd
    and have keypoints (what MMPose's ``CocoDataset`` keeps). None when it cannot be counted
    (no such file, a wrapped or combined dataset)."""
    ds = (cfg.get('train_dataloader') or {}).get('dataset') or {}
    if not ds.get('ann_file') or ds.get('data_mode', 'topdown') != 'topdown':
        return None
    path = osp.join(ds.get('data_root') or '', ds['ann_file'])
    if not osp.isfile(path):
        return None
    try:
        with open(path) as f:
            anns = json.load(f).get('annotations', [])
    except (OSError, ValueError, AttributeError, RecursionError):
        return None  # malformed: tools/check_dataset.py says what is wrong

    def has_keypoints(a) -> bool:
        if 'num_keypoints' in a:
            return a['num_keypoints'] > 0
        return any(v > 0 for v in (a.get('keypoints') or [])[2::3])

    try:
        return sum(1 for a in anns if isinstance(a, dict) and not a.get('iscrowd')
                   and has_keypoints(a))
    except (TypeError, AttributeError):  # wrong types: counted by no one, reported by checks
        return None


def _schedulers(cfg) -> List[Dict]:
    s = cfg.get('param_scheduler') or []
    return [x for x in (s if isinstance(s, (list, tuple)) else [s]) if isinstance(x, dict)]


def _is_warmup(s: Dict) -> bool:
    """A scheduler that starts at epoch / iteration 0 and raises the learning rate."""
    if s.get('begin', 0) != 0 or s.get('type') not in _WARMUP_TYPES:
        return False
    if s.get('type') == 'LinearLR':
        return s.get('start_factor', 1.0 / 3) < s.get('end_factor', 1.0)
    return s.get('factor', 1.0 / 3) < 1.0


def schedule_findings(cfg, num_samples: Optional[int] = None,
                      world_size: int = 1) -> List[Finding]:
    """Warnings for a schedule that does not fit ``max_epochs`` or this training set.

    Args:
        cfg (Config): The config.
        num_samples (int, optional): Training samples (:func:`count_train_samples`); without
            it the warm-up is not judged.
        world_size (int): Training processes (the batch is per process). Defaults to 1.
    """
    train_cfg = cfg.get('train_cfg') or {}
    max_epochs = train_cfg.get('max_epochs')
    if not isinstance(max_epochs, int) or train_cfg.get('type', 'EpochBasedTrainLoop') not in (
            'EpochBasedTrainLoop', ):
        return []
    found = []
    val_interval = train_cfg.get('val_interval', 1)
    if cfg.get('val_dataloader') and isinstance(val_interval, int) and val_interval > max_epochs:
        found.append(Finding('warning', (
            f'train_cfg.val_interval={val_interval} is past max_epochs={max_epochs}: the model '
            f'is validated once, after the last epoch (no best checkpoint, no curve); set '
            f'val_interval to at most {max_epochs}')))
    batch = (cfg.get('train_dataloader') or {}).get('batch_size')
    per_epoch = (math.ceil(num_samples / (batch * world_size))
                 if num_samples and isinstance(batch, int) and batch > 0 else None)
    for i, s in enumerate(_schedulers(cfg)):
        where = f"param_scheduler[{i}] ({s.get('type')})"
        begin, end = s.get('begin', 0), s.get('end')
        if s.get('by_epoch', True):
            late = [m for m in s.get('milestones') or [] if m >= max_epochs]
            if late:
                found.append(Finding('warning', (
                    f'{where} milestones {late} are at or past max_epochs={max_epochs}: never '
                    f'reached, the learning rate does not drop there; set milestones for '
                    f'{max_epochs} epochs')))
            if _is_warmup(s) and isinstance(end, (int, float)) and end > WARMUP_MAX_EPOCHS:
                found.append(Finding('warning', (
                    f'{where} warms up over end={end:g} epochs of max_epochs={max_epochs}; a '
                    f'warm-up is usually at most a few epochs: set end=2')))
            for key, span in (('end', max_epochs), ('T_max', max_epochs - begin)):
                value = s.get(key)
                if isinstance(value, (int, float)) and math.isfinite(value) and value > span:
                    found.append(Finding('warning', (
                        f'{where} {key}={value:g} is past max_epochs={max_epochs}: training '
                        f'stops part-way through this schedule; set {key}={span}')))
                    break
        elif per_epoch and _is_warmup(s) and isinstance(end, (int, float)) and \
                math.isfinite(end):
            epochs = end / per_epoch
            if epochs > WARMUP_MAX_EPOCHS:
                procs = f' x {world_size} processes' if world_size > 1 else ' on one process'
                whole = (f', longer than the whole training (max_epochs={max_epochs})'
                         if epochs >= max_epochs else f' of max_epochs={max_epochs}')
                found.append(Finding('warning', (
                    f'{where} warms up over end={end} iterations (by_epoch=False) = '
                    f'{epochs:.1f} epochs of this training set{whole} ({num_samples} samples '
                    f'at batch {batch}{procs}: {per_epoch} iterations per epoch); a warm-up is '
                    f'usually at most a few epochs: set end={2 * per_epoch} (2 epochs)')))
    return found


def check_inherited(cfg, num_samples: Optional[int] = None, world_size: int = 1,
                    build: bool = True) -> List[Finding]:
    """:func:`pretrained_findings` (errors) and :func:`schedule_findings` (warnings)."""
    return pretrained_findings(cfg, build) + schedule_findings(cfg, num_samples, world_size)
