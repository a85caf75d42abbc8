"""How the code is laid out (README, "How the code is laid out").

The installed package ``eba_prnetcc_mmpose`` holds what a config, a user's script or a deployed
app imports at run time; its modules are short, import downward only and form no circle, and
the deployment predictor needs nothing heavier than numpy and OpenCV. The tools' library
``tools/eba_tools`` imports the package, never the reverse.
"""
import ast
import os
import os.path as osp
from typing import Dict, Set

import pytest

from eba_tools import REPO

PACKAGE = 'eba_prnetcc_mmpose'
MAX_LINES = 400


def module_files(root: str, name: str) -> Dict[str, str]:
    """``{dotted module name: file}`` for every .py below ``root`` (a package ``name``)."""
    found = {}
    for folder, _, files in os.walk(root):
        for f in files:
            if f.endswith('.py'):
                rel = osp.relpath(osp.join(folder, f), root)[:-3].split(os.sep)
                if rel[-1] == '__init__':
                    rel = rel[:-1]
                found['.'.join([name] + rel)] = osp.join(folder, f)
    return found


def imported_names(module: str, path: str) -> Set[str]:
    """Absolute names ``path`` imports (relative imports resolved; ``from a import b`` gives
    ``a`` and ``a.b``)."""
    package = module if path.endswith('__init__.py') else module.rsplit('.', 1)[0]
    names = set()
    for node in ast.walk(ast.parse(open(path).read())):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = package.rsplit('.', node.level - 1)[0] if node.level else ''
            mod = '.'.join(p for p in (base, node.module or '') if p)
            names |= {mod} | {f'{mod}.{a.name}' for a in node.names}
    return names


def internal_graph(modules: Dict[str, str], roots=(PACKAGE, )) -> Dict[str, Set[str]]:
    """``{module: modules of ``roots`` it imports}`` (a name resolves to the longest module)."""
    graph = {}
    for mod, path in modules.items():
        deps = set()
        for name in imported_names(mod, path):
            if name.split('.')[0] not in roots:
                continue
            while name and name not in modules:
                name = name.rpartition('.')[0]
            if name and name != mod:
                deps.add(name)
        graph[mod] = deps
    return graph


def find_cycle(graph: Dict[str, Set[str]]):
    """One import circle as a list of modules, or None."""
    state, stack = {}, []

    def visit(node):
        state[node] = 'open'
        stack.append(node)
        for dep in sorted(graph.get(node, ())):
            if state.get(dep) == 'open':
                return stack[stack.index(dep):] + [dep]
            if dep not in state:
                cycle = visit(dep)
                if cycle:
                    return cycle
        state[node] = 'done'
        stack.pop()
        return None

    for node in sorted(graph):
        if node not in state:
            cycle = visit(node)
            if cycle:
                return cycle
    return None


PKG_MODULES = module_files(osp.join(REPO, PACKAGE), PACKAGE)
PKG_GRAPH = internal_graph(PKG_MODULES)
TOOL_MODULES = module_files(osp.join(REPO, 'tools', 'eba_tools'), 'eba_tools')


def test_no_installed_module_is_over_the_line_limit():
    long = {m: n for m, p in PKG_MODULES.items() if (n := len(open(p).readlines())) > MAX_LINES}
    assert not long, f'over {MAX_LINES} lines: {long}'


def test_package_modules_form_no_import_circle():
    assert find_cycle(PKG_GRAPH) is None, ' -> '.join(find_cycle(PKG_GRAPH))


def test_subpackages_form_no_import_circle():
    """Collapsed to its subpackages (models, utils, deploy, ...) the graph is a layering."""
    def top(mod):
        return '.'.join(mod.split('.')[:2])
    collapsed: Dict[str, Set[str]] = {}
    for mod, deps in PKG_GRAPH.items():
        collapsed.setdefault(top(mod), set()).update(top(d) for d in deps if top(d) != top(mod))
    collapsed.pop(PACKAGE, None)  # the package root re-exports; nothing may import it (below)
    assert find_cycle(collapsed) is None, ' -> '.join(find_cycle(collapsed))


def test_nothing_imports_upward():
    """No module imports a package that contains it (its ``__init__`` imports it, or its
    parents do): the root and every subpackage ``__init__`` only re-export downward."""
    upward = {mod: sorted(d for d in deps if mod.startswith(d + '.'))
              for mod, deps in PKG_GRAPH.items()}
    assert not {m: d for m, d in upward.items() if d}


def test_the_package_never_imports_the_tools():
    offenders = {m for m, p in PKG_MODULES.items()
                 if any(n.split('.')[0] == 'eba_tools' for n in imported_names(m, p))}
    assert not offenders


def test_the_tools_library_forms_no_import_circle():
    graph = internal_graph(TOOL_MODULES, roots=('eba_tools', ))
    assert find_cycle(graph) is None, ' -> '.join(find_cycle(graph))


@pytest.mark.parametrize('module', ['predictor', 'runtime', ''])
def test_deployed_modules_import_only_light_dependencies(module):
    name = f'{PACKAGE}.deploy' + (f'.{module}' if module else '')
    heavy = ('torch', 'mmpose', 'mmcv', 'mmengine', 'mmdet', f'{PACKAGE}.models',
             f'{PACKAGE}.utils')
    bad = {n for n in imported_names(name, PKG_MODULES[name]) if n.startswith(heavy)}
    assert not bad


@pytest.mark.parametrize('library', ['matplotlib', 'scipy', 'argparse', 'tqdm', 'xtcocotools'])
def test_no_installed_module_imports_tooling_libraries(library):
    """Plots, statistics, command lines, progress bars and COCO evaluation are the tools'."""
    offenders = {m for m, p in PKG_MODULES.items()
                 if any(n.split('.')[0] == library for n in imported_names(m, p))}
    assert not offenders
