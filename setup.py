"""Install eba_prnetcc_mmpose, an MMPose 1.x plugin implementing EBA-PRNetCC (VISAPP 2024).

The OpenMMLab stack (full mmcv with compiled ops, mmpose without chumpy, xtcocotools built against
the installed numpy) needs care to install; ``make env`` (tools/setup_env.sh) does it. Installing
this package into an existing MMPose environment only needs ``pip install -e .``.
"""
import os.path as osp
import re

from setuptools import find_packages, setup

HERE = osp.dirname(osp.abspath(__file__))


def get_version() -> str:
    with open(osp.join(HERE, 'eba_prnetcc_mmpose', 'version.py')) as f:
        return re.search(r"__version__ = '([^']+)'", f.read()).group(1)


def readme() -> str:
    with open(osp.join(HERE, 'README.md'), encoding='utf-8') as f:
        return f.read()


setup(
    name='eba_prnetcc_mmpose',
    version=get_version(),
    description='EBA-PRNetCC (bridge-attention ResNet + MLP-Mish SimCC head + KL loss) '
    'as an MMPose 1.x plugin',
    long_description=readme(),
    long_description_content_type='text/markdown',
    license='Apache-2.0',
    packages=find_packages(include=['eba_prnetcc_mmpose', 'eba_prnetcc_mmpose.*']),
    python_requires='>=3.10',
    # Deliberately loose: the exact, tested stack is pinned in requirements/ and built by
    # tools/setup_env.sh. These bounds keep `pip install -e .` from replacing a working MMPose.
    install_requires=['mmpose>=1.1,<2', 'mmengine>=0.10,<1', 'mmcv>=2.0.1,<2.2', 'torch>=2.0'],
    extras_require={'tests': ['pytest', 'pytest-xdist', 'onnx', 'onnxruntime']},
    classifiers=[
        'Programming Language :: Python :: 3',
        'Topic :: Scientific/Engineering :: Artificial Intelligence',
    ],
    zip_safe=False,
)
