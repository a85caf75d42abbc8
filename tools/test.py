"""Test a checkpoint: MMPose's own ``tools/test.py`` (same arguments) with this plugin loaded.

    python tools/test.py CONFIG CHECKPOINT [--work-dir DIR] [--dump FILE] [--cfg-options ...]

Runs the ``test.py`` shipped in the installed mmpose after importing ``eba_prnetcc_mmpose``
(which also lets torch >= 2.6 load MMEngine checkpoints safely); CPU ``--launcher pytorch`` works.
"""
from eba_prnetcc_mmpose.utils import run_mmpose_tool

if __name__ == '__main__':
    run_mmpose_tool('test.py')
