"""Layering: analysis and deploy share model building through utils.model_build and never
import each other; the predictor's modules import nothing heavier than numpy/OpenCV."""
import ast
import glob
import os.path as osp

import pytest

from _deploy_helpers import ROOT

PKG = osp.join(ROOT, 'eba_prnetcc_mmpose')


def imported_modules(path):
    """Absolute names of everything ``path`` imports (relative imports resolved)."""
    package = osp.relpath(osp.dirname(path), ROOT).replace(osp.sep, '.')
    names = set()
    for node in ast.walk(ast.parse(open(path).read())):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = package.rsplit('.', node.level - 1)[0] if node.level else ''
            mod = '.'.join(p for p in (base, node.module or '') if p)
            names |= {mod} | {f'{mod}.{a.name}' for a in node.names}
    return names


@pytest.mark.parametrize('package,forbidden', [('analysis', 'eba_prnetcc_mmpose.deploy'),
                                               ('deploy', 'eba_prnetcc_mmpose.analysis')])
def test_analysis_and_deploy_do_not_import_each_other(package, forbidden):
    for path in glob.glob(osp.join(PKG, package, '*.py')):
        bad = {m for m in imported_modules(path) if m.startswith(forbidden)}
        assert not bad, f'{osp.relpath(path, ROOT)} imports {bad}'


@pytest.mark.parametrize('module', ['predictor.py', 'runtime.py', '__init__.py'])
def test_runtime_modules_import_only_light_dependencies(module):
    heavy = ('torch', 'mmpose', 'mmcv', 'mmengine', 'mmdet', 'eba_prnetcc_mmpose.models',
             'eba_prnetcc_mmpose.utils')
    bad = {m for m in imported_modules(osp.join(PKG, 'deploy', module)) if m.startswith(heavy)}
    assert not bad
