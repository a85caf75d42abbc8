"""Registry errors that name the fix: close-match suggestions and missing ``custom_imports``.

MMEngine answers an unknown ``type`` with a bare ``KeyError: 'X is not in the mmpose::model
registry'``. Two mistakes cause nearly all of them: a typo (``MLPSimCCHaed``) and a config that
uses this plugin's types without ``custom_imports = dict(imports=['eba_prnetcc_mmpose'], ...)``.

Our tools print the fix: ``tools/train.py`` and ``tools/test.py`` (:mod:`.checked_tools`) turn
such an error into one line with :func:`explain_registry_error` and warn with
:func:`missing_custom_imports` about a config that only works because they import the plugin;
``tools/check_dataset.py CONFIG`` (:mod:`.config_check`) lists :func:`unknown_types` and the
missing line before training. MMPose's own tools show MMEngine's message unchanged: importing the
plugin installs no hook.
"""
import difflib
import re
from typing import Any, Dict, Iterator, List, Optional, Sequence, Tuple

from mmengine.config import Config
from mmengine.registry import Registry

PLUGIN = 'eba_prnetcc_mmpose'
CUSTOM_IMPORTS_LINE = (f"custom_imports = dict(imports=['{PLUGIN}'], "
                       f'allow_failed_imports=False)')
_NOT_IN_REGISTRY = re.compile(
    r"`?(?P<name>[\w.]+)`? is not in the (?:(?P<scope>[\w]+)::)?(?P<registry>[\w ]+?) registry")


def _registries(scope: str = 'mmpose') -> List[Registry]:
    """Every registry object of ``<scope>.registry`` (``mmpose.registry.MODELS``, ...)."""
    import importlib
    try:
        module = importlib.import_module(f'{scope}.registry')
    except ImportError:
        module = importlib.import_module('mmengine.registry')
    return [v for v in vars(module).values() if isinstance(v, Registry)]


def _find_registry(scope: Optional[str], name: str) -> Optional[Registry]:
    """The registry an error names (``mmpose.registry`` also holds MMEngine's parents)."""
    scope = scope or 'mmpose'
    found = [reg for reg in _registries(scope) if reg.name == name]
    return next((reg for reg in found if reg.scope == scope), found[0] if found else None)


def registered_names(registry: Registry) -> List[str]:
    """Names a registry resolves without a scope prefix: its own and its parents'."""
    registry.import_from_location()
    names, reg = set(), registry
    while reg is not None:
        names.update(reg.module_dict)
        reg = reg.parent
    return sorted(names)


def plugin_types() -> Dict[str, str]:
    """``{type name: registry name}`` of everything this plugin registers into MMPose."""
    import eba_prnetcc_mmpose  # noqa: F401  (registers)
    from mmengine.registry import MODELS as ROOT_MODELS
    from torch import nn
    found = {}
    for reg in _registries('mmpose'):
        for name, obj in reg.module_dict.items():
            if getattr(obj, '__module__', '').startswith(PLUGIN):
                found[name] = reg.name
    if ROOT_MODELS.module_dict.get('Mish') is nn.Mish:  # registered by the plugin (layers/mish)
        found['Mish'] = ROOT_MODELS.name
    return found


def suggest(name: str, candidates: Sequence[str], n: int = 3) -> List[str]:
    """The registered names closest to ``name``.

    difflib proposes, the edit distance (with transpositions, so ``Haed`` -> ``Head`` is one
    edit) decides: only the candidates at the smallest distance are returned, a case-only
    difference first.
    """
    base = name.split('.')[-1]
    same_case = [c for c in candidates if c.lower() == base.lower() and c != base]
    if same_case:
        return same_case[:n]
    close = difflib.get_close_matches(base, candidates, n=10, cutoff=0.6)
    if not close:
        return []
    dist = {c: _edit_distance(base.lower(), c.lower()) for c in close}
    best = min(dist.values())
    return [c for c in close if dist[c] == best][:n]


def _edit_distance(a: str, b: str) -> int:
    """Optimal-string-alignment distance: insertions, deletions, substitutions, swaps."""
    d = [[i + j if i * j == 0 else 0 for j in range(len(b) + 1)] for i in range(len(a) + 1)]
    for i in range(1, len(a) + 1):
        for j in range(1, len(b) + 1):
            cost = a[i - 1] != b[j - 1]
            d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1)
    return d[-1][-1]


def unknown_type_hint(name: str, registry: Optional[Registry] = None) -> str:
    """What to do about a ``type`` that a registry does not know.

    Args:
        name (str): The unknown type name (``MLPSimCCHaed``).
        registry (Registry, optional): The registry that refused it; ``None`` searches every
            MMPose registry.

    Returns:
        str: ``did you mean ...`` with the closest registered names, or the missing
        ``custom_imports`` line when the name is one of this plugin's types.
    """
    base = name.split('.')[-1]
    if base in plugin_types():
        return (f'{base} is registered by the {PLUGIN} plugin, which this config does not '
                f'import: add {CUSTOM_IMPORTS_LINE}')
    regs = [registry] if registry is not None else _registries('mmpose')
    candidates = sorted({n for r in regs for n in registered_names(r)})
    close = suggest(name, candidates)
    if close:
        return 'did you mean ' + ' or '.join(repr(c) for c in close) + '?'
    where = f'the {registry.scope}::{registry.name} registry' if registry else 'MMPose'
    return (f'no name in {where} is close to {base!r}: if it comes from another package, '
            f'import it with custom_imports (or write the scope, e.g. "mmdet.{base}")')


def explain_registry_error(error: BaseException,
                           cfg: Optional[Any] = None) -> Optional[str]:
    """One line for a MMEngine "X is not in the ... registry" error, with the fix.

    Args:
        error (BaseException): Any exception; only registry ``KeyError``\\ s are explained.
        cfg (Config, optional): The config being built, to say where the type is set.

    Returns:
        str or None: e.g. ``model.head.type='MLPSimCCHaed' is not in the mmpose::model
        registry: did you mean 'MLPSimCCHead'?``; ``None`` for other errors.
    """
    if not isinstance(error, KeyError):
        return None
    match = _NOT_IN_REGISTRY.search(str(error))
    if match is None:
        return None
    name, scope, reg_name = match['name'], match['scope'], match['registry']
    registry = _find_registry(scope, reg_name)
    where = ''
    if cfg is not None:
        paths = [path for path, t in iter_types(cfg) if t == name]
        where = f' (set at {", ".join(paths)})' if paths else ''
    registry_text = f'{scope}::{reg_name}' if scope else reg_name
    return (f'type {name!r}{where} is not in the {registry_text} registry: '
            f'{unknown_type_hint(name, registry)}')


#: Config keys whose ``type`` entries are data, not registered types (metainfo's
#: ``keypoint_info[i].type`` is 'upper' / 'lower').
_NOT_BUILT = ('metainfo', 'dataset_info', 'keypoint_info', 'skeleton_info')


def iter_types(cfg: Any, prefix: str = '') -> Iterator[Tuple[str, str]]:
    """``(path, type name)`` of every ``type='...'`` in a config, e.g. ``('model.head.type',
    'MLPSimCCHead')``; dataset metainfo is skipped."""
    if isinstance(cfg, Config):
        cfg = cfg.to_dict()
    if isinstance(cfg, dict):
        for key, value in cfg.items():
            path = f'{prefix}.{key}' if prefix else str(key)
            if key in _NOT_BUILT:
                continue
            if key == 'type' and isinstance(value, str):
                yield path, value
            else:
                yield from iter_types(value, path)
    elif isinstance(cfg, (list, tuple)):
        for i, value in enumerate(cfg):
            yield from iter_types(value, f'{prefix}[{i}]')


def imports_plugin(cfg: Any) -> bool:
    """Whether the config's ``custom_imports`` import this plugin (or one of its modules)."""
    imports = (cfg.get('custom_imports') or {}).get('imports', [])
    imports = [imports] if isinstance(imports, str) else list(imports)
    return any(m == PLUGIN or str(m).startswith(PLUGIN + '.') for m in imports)


def missing_custom_imports(cfg: Any) -> Optional[str]:
    """A message if the config uses this plugin's types without importing the plugin.

    Args:
        cfg (Config | dict): The config.

    Returns:
        str or None: names the types, where they are set, what MMPose's own tools will say,
        and the line to add; ``None`` if nothing is missing.
    """
    if imports_plugin(cfg):
        return None
    ours = plugin_types()
    used = {}  # type name -> where it is set, preferring what the Runner builds (model...)
    for path, name in iter_types(cfg):
        if name.split('.')[-1] in ours and (name not in used or (
                not used[name].startswith('model') and path.startswith('model'))):
            used[name] = path
    used = [(path, name) for name, path in used.items()]
    if not used:
        return None
    shown = ', '.join(f'{name} ({path[:-len(".type")]})' for path, name in used[:4])
    more = f' and {len(used) - 4} more' if len(used) > 4 else ''
    first = used[0][1]
    return (f'the config uses {shown}{more} from {PLUGIN} but has no custom_imports for it: '
            f"MMPose's own tools (tools/train.py, tools/test.py, the inferencer) will fail with "
            f'"{first} is not in the mmpose::{ours[first.split(".")[-1]]} registry". Add '
            f'{CUSTOM_IMPORTS_LINE}')


def unknown_types(cfg: Any) -> List[str]:
    """One line per ``type`` in the config that no MMPose registry knows, with a suggestion.

    A name counts as known if any MMPose registry (or its MMEngine parent) resolves it, so
    this never flags a valid config; scoped names (``mmdet.X``) are resolved by their package.
    """
    from mmengine.registry import DefaultScope
    regs = _registries('mmpose')
    known = {n for reg in regs for n in registered_names(reg)}
    problems = []
    with DefaultScope.overwrite_default_scope('mmpose'):
        for path, name in iter_types(cfg):
            if name in known or ('.' in name and any(_resolves(reg, name) for reg in regs)):
                continue
            problems.append(f'{path}={name!r} is not a registered type: '
                            f'{unknown_type_hint(name)}')
    return problems


def _resolves(registry: Registry, name: str) -> bool:
    try:
        return registry.get(name) is not None
    except Exception:  # a scope prefix whose package is not installed, ...
        return False
