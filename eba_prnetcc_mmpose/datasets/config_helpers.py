"""Config helpers: derive every size-dependent field of a SimCC config from one input size.

MMEngine configs are Python files, so a config can call these functions (see
``configs/custom/`` and docs/custom_dataset.md)::

    from eba_prnetcc_mmpose.datasets.config_helpers import (keypoint_metainfo, simcc_codec,
                                                            simcc_head_sizes, topdown_pipelines)
    metainfo = keypoint_metainfo('my_set', ['a', 'b', 'c'], flip_pairs=[('a', 'b')])
    codec = simcc_codec(input_size=(192, 256))          # (W, H): the one number you choose
    backbone = dict(type='EBAResNet', depth=18)
    head = dict(type='MLPSimCCHead', **simcc_head_sizes(codec, num_keypoints=3,
                                                          backbone=backbone))
    train_pipeline, test_pipeline = topdown_pipelines(codec)

Imported functions are dropped from the parsed config (MMEngine removes functions and modules),
so a dumped config holds plain values only. A child config that changes the input size must
call the helpers again: MMEngine merges values, it does not re-run the base file.
"""
import colorsys
import inspect
import math
from typing import Dict, List, Optional, Sequence, Tuple

#: Output stride of a ResNet stem (7x7 stride-2 convolution + stride-2 max pool).
_RESNET_STEM_STRIDE = 4


def keypoint_metainfo(dataset_name: str,
                      keypoints: Sequence[str],
                      flip_pairs: Sequence[Tuple[str, str]] = (),
                      skeleton: Sequence[Tuple[str, str]] = (),
                      sigmas: Optional[Sequence[float]] = None,
                      joint_weights: Optional[Sequence[float]] = None,
                      upper_body: Sequence[str] = (),
                      lower_body: Sequence[str] = ()) -> Dict:
    """MMPose dataset ``metainfo`` (the format of ``configs/_base_/datasets/*.py``).

    Pass the result as the dataset's ``metainfo=``; MMPose's ``parse_pose_metainfo`` turns it
    into ``num_keypoints``, ``flip_indices`` (used by ``RandomFlip`` and flip testing),
    ``sigmas`` (``CocoMetric``'s OKS) and the visualizer's colours and links.

    Args:
        dataset_name (str): Name shown in logs and by the visualizer.
        keypoints (Sequence[str]): Keypoint names, in the order of the annotation files.
        flip_pairs (Sequence[tuple[str, str]]): Keypoints a horizontal flip swaps (left/right);
            unpaired keypoints map to themselves.
        skeleton (Sequence[tuple[str, str]]): Links drawn by the visualizer.
        sigmas (Sequence[float], optional): Per-keypoint OKS sigma (COCO: 0.025 for eyes to
            0.107 for hips, as a fraction of the object's sqrt(area)). Defaults to 0.05 each.
        joint_weights (Sequence[float], optional): Per-keypoint loss weights. Defaults to 1.
        upper_body (Sequence[str]): Keypoints of the upper half (half-body augmentation).
        lower_body (Sequence[str]): Keypoints of the lower half.

    Returns:
        dict: ``dataset_name``, ``keypoint_info``, ``skeleton_info``, ``joint_weights``,
        ``sigmas``.

    Raises:
        ValueError: naming the duplicate or unknown keypoint, or the list of the wrong length.
    """
    names = list(keypoints)
    if not names:
        raise ValueError('keypoint_metainfo: no keypoints given')
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise ValueError(f'keypoint_metainfo: duplicate keypoint name(s) {dup}')

    def known(name: str, where: str) -> str:
        if name not in names:
            raise ValueError(f'keypoint_metainfo: {where} names {name!r}, which is not one of '
                             f'the keypoints {names}')
        return name

    swap = {}
    for a, b in flip_pairs:
        known(a, 'flip_pairs'), known(b, 'flip_pairs')
        for n in (a, b):
            if n in swap:
                raise ValueError(f'keypoint_metainfo: {n!r} is in more than one flip pair')
        if a == b:
            raise ValueError(f'keypoint_metainfo: flip pair ({a!r}, {b!r}) pairs a keypoint '
                             f'with itself; leave self-symmetric keypoints out of flip_pairs')
        swap[a], swap[b] = b, a
    upper = {known(n, 'upper_body') for n in upper_body}
    lower = {known(n, 'lower_body') for n in lower_body}
    k = len(names)
    sigmas = [0.05] * k if sigmas is None else [float(s) for s in sigmas]
    joint_weights = [1.0] * k if joint_weights is None else [float(w) for w in joint_weights]
    for what, values in (('sigmas', sigmas), ('joint_weights', joint_weights)):
        if len(values) != k:
            raise ValueError(f'keypoint_metainfo: {what} has {len(values)} values for {k} '
                             f'keypoints')
    colors = _palette(k)
    keypoint_info = {
        i: dict(name=n, id=i, color=colors[i], swap=swap.get(n, ''),
                type='upper' if n in upper else 'lower' if n in lower else '')
        for i, n in enumerate(names)
    }
    skeleton_info = {
        i: dict(link=(known(a, 'skeleton'), known(b, 'skeleton')), id=i,
                color=colors[names.index(a)])
        for i, (a, b) in enumerate(skeleton)
    }
    return dict(dataset_name=dataset_name, keypoint_info=keypoint_info,
                skeleton_info=skeleton_info, joint_weights=joint_weights, sigmas=sigmas)


def simcc_codec(input_size: Tuple[int, int], simcc_split_ratio: float = 2.0,
                sigma: Optional[Tuple[float, float]] = None, **kwargs) -> Dict:
    """A ``SimCCLabel`` codec config for ``input_size``.

    Args:
        input_size (tuple[int, int]): Model input (W, H).
        simcc_split_ratio (float): Bins per input pixel. Defaults to 2.0.
        sigma (tuple[float, float], optional): Label smoothing (x, y) in bins. Defaults to
            MMPose's SimCC rule ``sqrt(side / 8)`` per axis, which gives exactly its configs'
            (4.9, 5.66) at 192x256 and (6.0, 6.93) at 288x384.
        **kwargs: Other ``SimCCLabel`` arguments (``smoothing_type``, ``normalize``, ...).

    Returns:
        dict: ``dict(type='SimCCLabel', input_size=..., sigma=..., simcc_split_ratio=...)``.
    """
    w, h = _size(input_size, 'simcc_codec')
    if sigma is None:
        sigma = (round(math.sqrt(w / 8), 2), round(math.sqrt(h / 8), 2))
    return dict(type='SimCCLabel', input_size=(w, h), sigma=tuple(sigma),
                simcc_split_ratio=float(simcc_split_ratio), **kwargs)


def backbone_stride_and_channels(backbone: Dict) -> Tuple[int, int]:
    """Output stride and channels of the feature map a ResNet-family backbone hands the head.

    Works for every registered subclass of MMPose's ``ResNet`` (``EBAResNet``, ``ResNet``,
    ``ResNetV1d``, ``SEResNet``, ...) from its config alone, without building it.

    Args:
        backbone (dict): Backbone config with ``type`` and ``depth``.

    Returns:
        tuple[int, int]: (stride, channels) of the last output stage.

    Raises:
        ValueError: if the backbone is not ResNet-like (then pass ``stride`` and
            ``in_channels`` to :func:`simcc_head_sizes` yourself).
    """
    from mmpose.models.backbones import ResNet
    from mmpose.models.backbones.resnet import get_expansion
    from mmpose.registry import MODELS
    cls = MODELS.get(backbone.get('type', ''))
    if cls is None or not (inspect.isclass(cls) and issubclass(cls, ResNet)):
        raise ValueError(f"simcc_head_sizes: cannot derive the stride and channels of backbone "
                         f"type {backbone.get('type')!r} (only ResNet-family backbones); pass "
                         f"stride=... and in_channels=... explicitly")
    depth = backbone['depth']
    if depth not in cls.arch_settings:
        raise ValueError(f'simcc_head_sizes: {cls.__name__} has no depth {depth!r}; supported: '
                         f'{sorted(cls.arch_settings)}')
    arg = lambda name: backbone.get(name, _default(cls, name))  # noqa: E731
    num_stages = arg('num_stages')
    last = max(i % num_stages for i in arg('out_indices'))
    stride = _RESNET_STEM_STRIDE * math.prod(arg('strides')[:last + 1])
    expansion = get_expansion(cls.arch_settings[depth][0], backbone.get('expansion'))
    channels = arg('base_channels') * 2**last * expansion
    return int(stride), int(channels)


def simcc_head_sizes(codec: Dict, num_keypoints: int, backbone: Optional[Dict] = None,
                     stride: Optional[int] = None, in_channels: Optional[int] = None) -> Dict:
    """The size arguments of ``MLPSimCCHead`` (or MMPose's ``SimCCHead``) for a codec.

    Args:
        codec (dict): The ``SimCCLabel`` codec config (:func:`simcc_codec`).
        num_keypoints (int): K, the number of keypoints in the dataset's metainfo.
        backbone (dict, optional): A ResNet-family backbone config; gives ``stride`` and
            ``in_channels`` (:func:`backbone_stride_and_channels`).
        stride (int, optional): Backbone output stride, when ``backbone`` cannot give it.
            Defaults to 32 (ResNet).
        in_channels (int, optional): Backbone output channels, when ``backbone`` cannot give
            them; left out of the result if unknown.

    Returns:
        dict: ``out_channels``, ``input_size``, ``in_featuremap_size``, ``simcc_split_ratio``,
        ``decoder`` (the codec) and, when known, ``in_channels``.

    Any input size works: a ResNet turns each side ``s`` into ``ceil(s / stride)`` (every
    stride-2 step rounds up), which is what ``in_featuremap_size`` states.

    Raises:
        ValueError: if ``num_keypoints`` is below 1.
    """
    if backbone is not None and (stride is None or in_channels is None):
        derived_stride, derived_channels = backbone_stride_and_channels(backbone)
        stride = stride or derived_stride
        in_channels = in_channels or derived_channels
    stride = stride or 32
    w, h = _size(codec['input_size'], 'simcc_head_sizes')
    if int(num_keypoints) < 1:
        raise ValueError(f'simcc_head_sizes: num_keypoints must be >= 1, got {num_keypoints}')
    sizes = dict(out_channels=int(num_keypoints), input_size=(w, h),
                 in_featuremap_size=(-(-w // stride), -(-h // stride)),
                 simcc_split_ratio=codec['simcc_split_ratio'], decoder=dict(codec))
    if in_channels is not None:
        sizes['in_channels'] = int(in_channels)
    return sizes


def topdown_pipelines(codec: Dict, flip: bool = True,
                      scale_factor: Tuple[float, float] = (0.7, 1.3),
                      rotate_factor: float = 30.0) -> Tuple[List[Dict], List[Dict]]:
    """Top-down train and test pipelines whose crop size and targets follow the codec.

    The augmentation defaults are the paper's (§4.3): horizontal flip, rotation up to 30
    degrees, scale 0.7-1.3.

    Args:
        codec (dict): The codec config; its ``input_size`` is the crop size.
        flip (bool): Random horizontal flip (needs ``flip_pairs`` in the metainfo).
            Defaults to True.
        scale_factor (tuple[float, float]): Box scale range. Defaults to (0.7, 1.3).
        rotate_factor (float): Rotation range in degrees. Defaults to 30.

    Returns:
        tuple[list[dict], list[dict]]: (train_pipeline, test_pipeline).
    """
    size = tuple(codec['input_size'])
    train = [dict(type='LoadImage'), dict(type='GetBBoxCenterScale')]
    if flip:
        train.append(dict(type='RandomFlip', direction='horizontal'))
    train += [
        dict(type='RandomBBoxTransform', scale_factor=tuple(scale_factor),
             rotate_factor=float(rotate_factor)),
        dict(type='TopdownAffine', input_size=size),
        dict(type='GenerateTarget', encoder=dict(codec)),
        dict(type='PackPoseInputs'),
    ]
    test = [dict(type='LoadImage'), dict(type='GetBBoxCenterScale'),
            dict(type='TopdownAffine', input_size=size), dict(type='PackPoseInputs')]
    return train, test


def _size(size: Sequence[int], who: str) -> Tuple[int, int]:
    if len(size) != 2 or any(int(s) != s or s <= 0 for s in size):
        raise ValueError(f'{who}: input_size must be a (W, H) pair of positive integers, '
                         f'got {size!r}')
    return int(size[0]), int(size[1])


def _default(cls: type, name: str):
    for klass in cls.__mro__:
        param = inspect.signature(klass.__init__).parameters.get(name)
        if param is not None and param.default is not inspect.Parameter.empty:
            return param.default
    raise ValueError(f'{cls.__name__} has no default for {name!r}; set it in the config')


def _palette(k: int) -> List[List[int]]:
    """``k`` well-separated colours (RGB 0-255)."""
    return [[int(255 * c) for c in colorsys.hsv_to_rgb(i / k, 0.8, 1.0)] for i in range(k)]
