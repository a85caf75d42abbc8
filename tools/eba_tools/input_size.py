"""The one input-size rule of a SimCC model, and its one message.

A SimCC head flattens the backbone's last feature map into its ``Linear`` layers, so its
``in_featuremap_size`` must be the size of that map for the model's input size. A ResNet-family
backbone (output stride 32) turns each side ``s`` into ``ceil(s / 32)``: every stride-2 layer of
the stem and stages rounds up. Any input size trains; a size that is a multiple of 32 only
spares the last row/column of feature cells their zero padding. MMPose's stock SimCC configs
write ``s // 32``, which is the same number for multiples of 32 and one too small otherwise.

:func:`feature_map_problem` is what ``tools/check_dataset.py`` and ``tools/train.py``'s
pre-flight say (docs/custom_dataset.md and docs/train_test.md quote it).
"""
import math
from typing import Optional, Sequence, Tuple


def expected_featuremap_size(input_size: Sequence[int], stride: int) -> Tuple[int, int]:
    """``(ceil(W / stride), ceil(H / stride))``: a ResNet-family map for ``input_size`` (W, H)."""
    w, h = (int(v) for v in input_size)
    return math.ceil(w / stride), math.ceil(h / stride)


def feature_map_problem(stated: Optional[Sequence[int]], input_size: Sequence[int],
                        measured: Sequence[int], stride: int) -> Optional[str]:
    """The message for a head whose ``in_featuremap_size`` is not the backbone's map.

    Args:
        stated: ``model.head.in_featuremap_size`` (W, H), or None when the config has none.
        input_size: The model's input (W, H).
        measured: (W, H) of the last feature map the built backbone gives for ``input_size``.
        stride: The backbone's output stride (measured on a large square input).

    Returns:
        str | None: One line naming the numbers and the setting, or None when they agree.
    """
    if stated is None or tuple(int(v) for v in stated) == tuple(int(v) for v in measured):
        return None
    w, h = (int(v) for v in input_size)
    fw, fh = (int(v) for v in measured)
    rule = (f'ceil(W / {stride}), ceil(H / {stride})'
            if (fw, fh) == expected_featuremap_size((w, h), stride) else f'stride {stride}')
    return (f'model.head.in_featuremap_size {tuple(int(v) for v in stated)} but the backbone '
            f'turns a {w} x {h} (W x H) input into a {fw} x {fh} map ({rule}): set '
            f'in_featuremap_size=({fw}, {fh}) (any input size trains; see "Input sizes" in '
            f'docs/train_test.md)')
