"""Test a checkpoint: MMPose's own ``tools/test.py`` (same arguments) with this plugin loaded.

    python tools/test.py CONFIG CHECKPOINT [--work-dir DIR] [--dump FILE] [--cfg-options ...]
    python tools/test.py --help           # MMPose's test.py help

Runs the ``test.py`` shipped in the installed mmpose after importing ``eba_prnetcc_mmpose``
(which also lets torch >= 2.6 load MMEngine checkpoints safely); CPU ``--launcher pytorch`` works.
A missing config or checkpoint file, a config that does not parse and an unknown registered
``type`` (with a close-match suggestion) are reported in one line.
"""
import os.path as osp
import sys

sys.path.append(osp.dirname(osp.abspath(__file__)))  # tools/, for eba_tools
from eba_tools.checked_tools import run_checked_mmpose_tool  # noqa: E402

if __name__ == '__main__':
    run_checked_mmpose_tool('test.py', file_args=['config', 'checkpoint'])
