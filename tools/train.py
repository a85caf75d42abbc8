"""Train a pose model: MMPose's own ``tools/train.py`` (same arguments) with this plugin loaded.

    python tools/train.py CONFIG [--work-dir DIR] [--resume [CKPT]] [--amp] [--cfg-options ...]
    python tools/train.py --help          # MMPose's train.py help

It runs the ``train.py`` shipped in the installed mmpose (``mmpose/.mim/tools``), after importing
``eba_prnetcc_mmpose`` (so even configs without ``custom_imports`` find the plugin; a warning
says that MMPose's own tools would not) and, for ``--launcher pytorch`` on a CPU-only machine,
setting up gloo distributed training. A missing config file, a config that does not parse and an
unknown registered ``type`` (with a close-match suggestion) are reported in one line. Before
training, a pre-flight (``eba_tools.preflight``) stops on settings that cannot fit (codec, head
and pipelines at different sizes, a feature map the head does not expect, pretrained weights of
another architecture or depth) and warns about a schedule that does not fit the dataset
(warm-up, validation interval, LR milestones); ``--no-preflight`` skips it.
"""
import os.path as osp
import sys

sys.path.append(osp.dirname(osp.abspath(__file__)))  # tools/, for eba_tools
from eba_tools.checked_tools import run_checked_mmpose_tool  # noqa: E402
from eba_tools.preflight import run_preflight  # noqa: E402

if __name__ == '__main__':
    run_checked_mmpose_tool('train.py', file_args=['config'], preflight=run_preflight)
