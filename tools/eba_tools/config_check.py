"""Check an MMPose config against itself and against its data before training.

:func:`check_config` needs no data: ``custom_imports`` and registered types, input sizes and
split ratios that must agree, the backbone's feature map against the head, each dataset's
metainfo. :func:`check_config_against_data` adds the annotation files
(:mod:`eba_tools.coco_check`) and compares their keypoints with the head and the metainfo.
``tools/check_dataset.py`` is its command line.
"""
import os.path as osp
from typing import Any, Dict, List, Optional, Tuple

from .coco_check import (CODE_RUNNING, DatasetCheckError, check_coco_keypoints, is_json_name,
                         not_json_problem)
from .inherited_check import pretrained_findings
from .input_size import feature_map_problem
from .registry_hints import missing_custom_imports, unknown_types
from .target_check import check_targets

_LOADERS = ('train_dataloader', 'val_dataloader', 'test_dataloader')
_EVALUATORS = ('val_evaluator', 'test_evaluator')
#: settings MMPose reads with mmengine.fileio.load (by extension): JSON only
_JSON_ONLY = ('ann_file', 'bbox_file')
_METAINFO_KEYS = ('dataset_name', 'keypoint_info', 'skeleton_info', 'joint_weights', 'sigmas')


def _size(value) -> Optional[Tuple[int, ...]]:
    return tuple(int(v) for v in value) if isinstance(value, (list, tuple)) else None


def _dataset_cfgs(cfg) -> List[Tuple[str, Dict]]:
    """``(path, dataset config)`` of the train/val/test datasets, each distinct one once."""
    found, seen = [], []
    for loader in _LOADERS:
        ds = (cfg.get(loader) or {}).get('dataset')
        if ds is None or any(ds == s for s in seen):
            continue
        seen.append(ds)
        found.append((f'{loader}.dataset', ds))
    return found


def _size_sources(cfg) -> List[Tuple[str, str, Any]]:
    """Every place that states an input size or split ratio: (path, what, value)."""
    out = []
    head = (cfg.get('model') or {}).get('head') or {}
    for path, codec in (('model.head.decoder', head.get('decoder')), ('codec', cfg.get('codec'))):
        if isinstance(codec, dict):
            out.append((path, 'input_size', codec.get('input_size')))
            out.append((path, 'simcc_split_ratio', codec.get('simcc_split_ratio')))
    for path, ds in _dataset_cfgs(cfg):
        for i, step in enumerate(ds.get('pipeline') or []):
            where = f"{path}.pipeline[{i}] ({step.get('type')})"
            if step.get('type') == 'TopdownAffine':
                out.append((where, 'input_size', step.get('input_size')))
            if step.get('type') == 'GenerateTarget':
                encoders = step.get('encoder')
                for enc in encoders if isinstance(encoders, (list, tuple)) else [encoders]:
                    if isinstance(enc, dict):
                        out.append((f'{where}.encoder', 'input_size', enc.get('input_size')))
                        out.append((f'{where}.encoder', 'simcc_split_ratio',
                                    enc.get('simcc_split_ratio')))
    return [s for s in out if s[2] is not None]


def _file_settings(node, path: str):
    """``(path, key, value)`` of every ``*file`` setting with a string value under ``node``."""
    if isinstance(node, dict):
        for key, value in node.items():
            where = f'{path}.{key}'
            if isinstance(value, str) and str(key).endswith('file'):
                yield path, str(key), value
            else:
                yield from _file_settings(value, where)
    elif isinstance(node, (list, tuple)):
        for i, value in enumerate(node):
            yield from _file_settings(value, f'{path}[{i}]')


def check_data_files(cfg) -> List[str]:
    """Data files that MMPose would read with a reader that can run code: refused.

    MMPose loads a dataset's ``bbox_file`` (and some datasets and metrics their ``ann_file``)
    with ``mmengine.fileio.load``, which picks its reader by the extension: ``.yaml`` / ``.yml``
    with PyYAML's unsafe loader and ``.pkl`` / ``.pickle`` with pickle, both of which run code
    the file asks for. Data files are untrusted, so every ``ann_file`` and ``bbox_file`` of the
    train/val/test dataloaders (wrapped datasets included) and the val/test evaluators must end
    in ``.json``; any other ``*file`` setting there ending in one of those extensions (e.g. a
    ``camera_param_file``) is refused too. Reads no file.

    Returns:
        list[str]: one line per refused setting: where, why and how to fix it.
    """
    problems = []
    for section in _LOADERS + _EVALUATORS:
        for path, key, value in _file_settings(cfg.get(section), section):
            if not value:
                continue
            ext = osp.splitext(value)[1].lower()
            npz = key == 'ann_file' and ext == '.npz'  # MMPose's mocap sets: np.load, no pickle
            if (key in _JSON_ONLY and not is_json_name(value) and not npz) \
                    or ext in CODE_RUNNING:
                problems.append(f'{path}.{not_json_problem(value, key)}')
    return _unique(problems)


def check_sizes(cfg) -> List[str]:
    """Codec, head and pipeline input sizes (and split ratios) that differ from the head's.

    The model's head is the reference: it is what is trained and exported. Without
    ``model.head.input_size`` the head's decoder is the reference.
    """
    head = (cfg.get('model') or {}).get('head') or {}
    sources = _size_sources(cfg)
    ref = {}
    for what in ('input_size', 'simcc_split_ratio'):
        if head.get(what) is not None:
            ref[what] = ('model.head', head[what])
        else:
            first = next((s for s in sources if s[1] == what), None)
            if first is not None:
                ref[what] = (first[0], first[2])
    problems = []
    for path, what, value in sources:
        if what not in ref or path == ref[what][0]:
            continue
        ref_path, ref_value = ref[what]
        same = (_size(value) == _size(ref_value) if what == 'input_size'
                else float(value) == float(ref_value))
        if not same:
            shown = tuple(value) if what == 'input_size' else value
            ref_shown = tuple(ref_value) if what == 'input_size' else ref_value
            problems.append(
                f'{path} {what} {shown} differs from {ref_path}.{what} {ref_shown}: derive the '
                f'codec, head and pipelines from one input size (docs/custom_dataset.md)')
    return problems


def _build(cfg_section, scope: str):
    from mmengine.registry import DefaultScope
    from mmpose.registry import MODELS
    with DefaultScope.overwrite_default_scope(scope):
        return MODELS.build(cfg_section)


def check_feature_map(cfg) -> List[str]:
    """Build the backbone (and neck) and feed it one image of the head's input size.

    Reports a head whose ``in_featuremap_size`` (:mod:`.input_size`: ``ceil(side / stride)``
    for ResNet; any input size) or ``in_channels`` differs from what the backbone gives.
    No weights are loaded (``init_weights`` is not called).
    """
    import torch
    model = cfg.get('model') or {}
    head = model.get('head') or {}
    input_size = _size(head.get('input_size') or (head.get('decoder') or {}).get('input_size'))
    if model.get('backbone') is None or input_size is None:
        return []
    scope = cfg.get('default_scope', 'mmpose')
    try:
        backbone = _build(model['backbone'], scope)
        neck = _build(model['neck'], scope) if model.get('neck') else None
        for module in (backbone, neck):
            if module is not None:
                module.eval()  # not chained: MMPose's ResNet.train() returns None
    except Exception as e:  # an unknown type is reported by unknown_types
        if isinstance(e, KeyError) and 'registry' in str(e):
            return []
        return [f'model.backbone cannot be built: {type(e).__name__}: {_first_line(e)}']

    def last_map(w: int, h: int):
        with torch.no_grad():
            feats = backbone(torch.zeros(1, 3, h, w))
            if neck is not None:
                feats = neck(feats)
        return feats[-1] if isinstance(feats, (list, tuple)) else feats

    probe = 256
    stride = probe // last_map(probe, probe).shape[-1]
    feat = last_map(*input_size)
    fmap = (int(feat.shape[-1]), int(feat.shape[-2]))
    # the one input-size rule (any size; the head states the measured map): .input_size
    problem = feature_map_problem(_size(head.get('in_featuremap_size')), input_size, fmap, stride)
    problems = [problem] if problem else []
    channels = int(feat.shape[1])
    if head.get('in_channels') is not None and int(head['in_channels']) != channels:
        problems.append(
            f"model.head.in_channels={head['in_channels']} but the backbone's last feature map "
            f'has {channels} channels: set in_channels={channels}')
    return problems


def _raw_metainfo(ds_cfg: Dict) -> Tuple[Optional[Dict], str, List[str]]:
    """The raw metainfo a dataset config uses: (metainfo, description, problems)."""
    from mmengine.config import Config
    from mmpose.registry import DATASETS
    meta = ds_cfg.get('metainfo')
    desc = 'its metainfo'
    if meta is None:
        cls = DATASETS.get(ds_cfg.get('type', ''))
        meta = getattr(cls, 'METAINFO', None)
        if not meta:
            return None, '', []
        desc = f"{ds_cfg.get('type')}'s default metainfo (no metainfo= in the config)"
    if 'from_file' in meta:
        path = meta['from_file']
        if not osp.isfile(path):
            import mmpose
            packaged = osp.join(osp.dirname(mmpose.__file__), '.mim', 'configs', '_base_',
                                'datasets', osp.basename(path))
            if not osp.isfile(packaged):
                return None, desc, [f'metainfo file not found: {path}']
            path = packaged
        meta = Config.fromfile(path).get('dataset_info')
        desc += f' ({osp.basename(path)})'
        if meta is None:
            return None, desc, [f'{path} has no dataset_info']
    return meta, desc, []


def check_metainfo(meta: Dict, where: str) -> List[str]:
    """Problems of a raw MMPose metainfo dict: missing keys, names, flip pairs, lengths."""
    missing = [k for k in _METAINFO_KEYS if k not in meta]
    if missing:
        return [f'{where} misses {missing} (MMPose needs {list(_METAINFO_KEYS)})']
    info = meta['keypoint_info']
    k = len(info)
    problems = []
    if sorted(info) != list(range(k)):
        problems.append(f'{where}: keypoint_info keys must be 0..{k - 1}, got {sorted(info)}')
        return problems
    names = [info[i].get('name') for i in range(k)]
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        problems.append(f'{where}: duplicate keypoint name(s) {dup}')
    for i in range(k):
        swap = info[i].get('swap', '')
        if swap in ('', names[i]):
            continue
        if swap not in names:
            problems.append(f"{where}: keypoint {i} ({names[i]!r}) swaps with {swap!r}, which is "
                            f'not a keypoint name')
        elif info[names.index(swap)].get('swap', '') != names[i]:
            problems.append(f'{where}: flip pair {names[i]!r} -> {swap!r} is one-sided: '
                            f"{swap!r} swaps with {info[names.index(swap)].get('swap', '')!r}; "
                            f'a horizontal flip must swap both ways')
    for i, link in meta['skeleton_info'].items():
        unknown = [n for n in link.get('link', ()) if n not in names]
        if unknown:
            problems.append(f'{where}: skeleton link {i} names unknown keypoint(s) {unknown}')
    for key in ('sigmas', 'joint_weights'):
        if len(meta[key]) != k:
            problems.append(f'{where}: {key} has {len(meta[key])} values for {k} keypoints')
    return problems


def check_config(cfg, build_backbone: bool = True) -> List[str]:
    """Everything that can be checked in a config without reading its data.

    Args:
        cfg (Config): The config.
        build_backbone (bool): Also build the backbone and feed it one image
            (:func:`check_feature_map`). Defaults to True.

    Returns:
        list[str]: One line per problem: missing ``custom_imports``, unknown registered types
        (with a close match), an ``ann_file`` / ``bbox_file`` that is not ``.json``
        (:func:`check_data_files`: a ``.yaml`` or ``.pkl`` one would run code when MMPose loads
        it), input sizes that disagree, a codec/loss pairing whose targets are nearly flat
        (:mod:`.target_check`), feature-map size and channels, metainfo that is incomplete or
        does not match the head's ``out_channels``.
    """
    problems = []
    missing = missing_custom_imports(cfg)
    if missing:
        problems.append(missing)
    problems += unknown_types(cfg)
    problems += check_data_files(cfg)
    problems += check_sizes(cfg)
    problems += check_targets(cfg)  # nearly flat SimCC targets (codec/loss pairing)
    if build_backbone:
        problems += check_feature_map(cfg)
    problems += [f.text for f in pretrained_findings(cfg, build_backbone)]  # .inherited_check
    out_channels = ((cfg.get('model') or {}).get('head') or {}).get('out_channels')
    differ = {}  # (metainfo description, keypoint count) -> dataset paths
    for path, ds in _dataset_cfgs(cfg):
        meta, desc, meta_problems = _raw_metainfo(ds)
        problems += [f'{path}: {p}' for p in meta_problems]
        if meta is None:
            continue
        found = check_metainfo(meta, f'{path} {desc}')
        problems += found
        k = len(meta.get('keypoint_info', {}))
        if out_channels is not None and k and int(out_channels) != k and not found:
            differ.setdefault((desc, k), []).append(path)
    for (desc, k), paths in differ.items():
        uses = 'uses' if len(paths) == 1 else 'use'
        if len(paths) > 1:
            desc = desc.replace('its metainfo', 'their metainfo')
        problems.append(f"model.head.out_channels={out_channels} but {', '.join(paths)} {uses} "
                        f'{desc} with {k} keypoints: they must be equal')
    return _unique(problems)


def check_config_against_data(cfg, decode_images: bool = True, progress: bool = True,
                              build_backbone: bool = True) -> Dict:
    """:func:`check_config`, then each dataset's files, then the data against the config.

    The data's keypoint count (and names, from the annotation file's category) must match the
    head's ``out_channels`` and the dataset's metainfo.

    Args:
        cfg (Config): The config.
        decode_images (bool): Decode every image. Defaults to True.
        progress (bool): Show progress bars. Defaults to True.
        build_backbone (bool): Build the backbone (:func:`check_feature_map`). Defaults to True.

    Returns:
        dict: per annotation file, as :func:`check_config_datasets`.

    Raises:
        DatasetCheckError: listing every problem found, one per line.
    """
    problems = check_config(cfg, build_backbone)
    out_channels = ((cfg.get('model') or {}).get('head') or {}).get('out_channels')
    reports = {}
    differ = {}  # keypoint count of the data -> annotation files
    for path, ds in _dataset_cfgs(cfg):
        if ds.get('ann_file') is None or not is_json_name(ds['ann_file']):
            continue  # a file that is not .json: refused by check_data_files, not read
        root = ds.get('data_root', '')
        ann = osp.join(root, ds['ann_file'])
        img_dir = osp.join(root, ds.get('data_prefix', {}).get('img', ''))
        bbox_file = ds.get('bbox_file')
        if bbox_file is not None and not is_json_name(bbox_file):
            bbox_file = None  # refused by check_data_files, not read
        try:
            report = check_coco_keypoints(ann, img_dir, bbox_file, decode_images, progress)
        except DatasetCheckError as e:
            problems.append(f'{path}: {e}')
            continue
        reports[f'{ann} ({img_dir})'] = report
        k, names = report['keypoints'], report['keypoint_names']
        if out_channels is not None and int(out_channels) != k:
            differ.setdefault(k, []).append(ann)
        meta, desc, _ = _raw_metainfo(ds)
        if meta is None or not isinstance(meta.get('keypoint_info'), dict):
            continue
        info = meta['keypoint_info']
        if len(info) != k:
            problems.append(
                f'{ann} has {k} keypoints per instance but {path} uses {desc} with '
                f'{len(info)}: give the dataset metainfo=... for its {k} keypoints '
                f'(keypoint_metainfo(), docs/custom_dataset.md)')
        else:
            meta_names = [info[i].get('name') for i in sorted(info)]
            diff = [i for i, (a, b) in enumerate(zip(meta_names, names)) if a != b]
            if diff:
                i = diff[0]
                problems.append(
                    f'{path} metainfo names keypoint {i} {meta_names[i]!r} but {ann} calls it '
                    f'{names[i]!r} ({len(diff)} of {k} differ): the metainfo must list the '
                    f"annotation file's keypoints in its order (flip pairs and sigmas follow it)")
    for k, anns in differ.items():
        problems.append(f"model.head.out_channels={out_channels} but {', '.join(anns)} "
                        f"{'has' if len(anns) == 1 else 'have'} {k} keypoints per instance: set "
                        f'out_channels={k}')
    problems = _unique(problems)
    if problems:
        raise DatasetCheckError(f'{len(problems)} problem(s) in the config and its data:\n  - '
                                + '\n  - '.join(problems))
    return reports


def _unique(items: List[str]) -> List[str]:
    return list(dict.fromkeys(items))


def _first_line(e: BaseException) -> str:
    text = str(e).strip()
    return text.splitlines()[0] if text else ''
