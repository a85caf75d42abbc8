"""Train a pose model: MMPose's own ``tools/train.py`` (same arguments) with this plugin loaded.

    python tools/train.py CONFIG [--work-dir DIR] [--resume [CKPT]] [--amp] [--cfg-options ...]

It runs the ``train.py`` shipped in the installed mmpose (``mmpose/.mim/tools``), after importing
``eba_prnetcc_mmpose`` (so even configs without ``custom_imports`` find the plugin) and, for
``--launcher pytorch`` on a CPU-only machine, setting up gloo distributed training.
"""
from eba_prnetcc_mmpose.utils import run_mmpose_tool

if __name__ == '__main__':
    run_mmpose_tool('train.py')
