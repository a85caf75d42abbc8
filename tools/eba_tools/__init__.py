"""The tools' own library: what the scripts under ``tools/`` run, kept out of the installed
package (a config, a user's script or a deployed app never imports it).

It holds the main job (``demo_job``, with the synthetic data generators and the mean-pose
baseline), the ablation study, the benchmark, parameter/FLOP counting, the paper's reported
numbers, the dataset and config checks, the image-inference layer over MMPoseInferencer and the
plumbing that runs MMPose's own ``train.py`` / ``test.py``. It imports the installed plugin
(``eba_prnetcc_mmpose``), never the other way round.

How it is found: every script under ``tools/`` appends the ``tools/`` folder to ``sys.path``
before importing ``eba_tools`` (one line at its top), and the test suite does the same in
``tests/conftest.py``. Nothing is installed; running a script from any working directory works.

Importing this package imports nothing else; its modules import what they need.
"""
import os.path as osp

#: The repository root (tools/eba_tools/ is two levels below it).
REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
#: The main job's config (``make demo``); the ablation variants inherit it.
DEMO_CONFIG = osp.join(REPO, 'configs', 'demo', 'simcc_eba-res18-mlp_1xb16-30e_synthcoco-128x96.py')
