"""Run MMPose's ``train.py`` / ``test.py`` with one-line errors for the usual mistakes.

``tools/train.py`` and ``tools/test.py`` are MMPose's own scripts (see
:func:`.launch.run_mmpose_tool`). Before handing over, this module parses the
arguments with the script's own ``parse_args`` (so ``--help`` and every argument are MMPose's),
then turns a missing config or checkpoint, an unreadable config and an unknown registered
``type`` into one line on stderr, and warns when the config only works because our tools import
the plugin (MMPose's own tools would fail on it).
"""
import os.path as osp
import runpy
import sys
from typing import Callable, List, Optional, Sequence

from eba_prnetcc_mmpose.utils.safe_load import CheckpointLoadError

from .launch import mmpose_tool, run_mmpose_tool
from .registry_hints import explain_registry_error, missing_custom_imports

#: exit status of a usage error (as argparse)
USAGE_ERROR = 2


class ToolError(Exception):
    """A mistake in a tool's input, reported as one line."""


def _parse_with_mmpose(name: str, argv: List[str]):
    """The script's own ``parse_args()`` on ``argv`` (argparse prints usage errors itself)."""
    namespace = runpy.run_path(mmpose_tool(name), run_name='_eba_parse_only')
    saved = sys.argv
    sys.argv = [f'tools/{name}'] + argv
    try:
        return namespace['parse_args']()
    finally:
        sys.argv = saved


def check_file_arguments(args, names: Sequence[str]) -> None:
    """Raise :class:`ToolError` for each of ``names`` that is not an existing file.

    URLs (``https://``, ``s3://``, ...) are left to MMEngine's loaders.
    """
    for name in names:
        path = getattr(args, name, None)
        if path is None or '://' in str(path):
            continue
        if osp.isdir(path):
            raise ToolError(f'{name} {path} is a folder, not a file')
        if not osp.isfile(path):
            raise ToolError(f'{name} file not found: {path}')


def load_config(args):
    """The config with ``--cfg-options`` applied; :class:`ToolError` if it does not parse."""
    from mmengine.config import Config
    try:
        cfg = Config.fromfile(args.config)
        if getattr(args, 'cfg_options', None):
            cfg.merge_from_dict(args.cfg_options)
    except Exception as e:  # a syntax error, a missing _base_, an mmpose:: path, ...
        first = str(e).strip().splitlines()[0] if str(e).strip() else ''
        raise ToolError(f'cannot read config {args.config}: {type(e).__name__}: {first}') from e
    return cfg


def run_checked_mmpose_tool(name: str, file_args: Sequence[str],
                            argv: Optional[List[str]] = None,
                            preflight: Optional[Callable[..., int]] = None) -> None:
    """Run ``mmpose/.mim/tools/<name>`` with the plugin, after checking its inputs.

    Args:
        name (str): ``train.py`` or ``test.py``.
        file_args (Sequence[str]): Argument names that must be existing files (``config``,
            ``checkpoint``).
        argv (list[str], optional): Arguments; defaults to ``sys.argv[1:]``.
        preflight (callable, optional): ``preflight(cfg, args, prog) -> number of errors``,
            run on the loaded config before the tool (:func:`.preflight.run_preflight`);
            skipped with ``--no-preflight`` (taken out of the arguments MMPose sees).

    Exits with status 2 and one line on stderr for a missing file or an unreadable config,
    and with status 1 for an unknown registered type (with a close-match suggestion), a data
    file MMPose would read with a code-running loader (an ``ann_file`` / ``bbox_file`` that is
    not ``.json``; checked even with ``--no-preflight``) or a pre-flight error.
    """
    from .preflight import SKIP_OPTION
    argv = list(sys.argv[1:] if argv is None else argv)
    prog = f'tools/{name}'
    if preflight is not None and SKIP_OPTION in argv:
        argv.remove(SKIP_OPTION)
        preflight = None
    if '-h' in argv or '--help' in argv:
        extra = (f' (plus {SKIP_OPTION}: skip the pre-flight check of settings that cannot '
                 f'fit)' if name == 'train.py' else '')
        print(f"{prog}: MMPose's {name} with eba_prnetcc_mmpose loaded{extra}; its "
              f'arguments:\n')
        run_mmpose_tool(name, argv)
        return
    args = _parse_with_mmpose(name, argv)
    cfg = None
    try:
        check_file_arguments(args, file_args)
        cfg = load_config(args)
        warning = missing_custom_imports(cfg)
        if warning:
            print(f'{prog}: warning: {warning}. ({prog} imports the plugin itself, so this run '
                  f'works.)', file=sys.stderr)
        from .config_check import check_data_files  # reads no file
        refused = check_data_files(cfg)
        if refused:  # never skipped (not even by --no-preflight): MMPose would run their code
            for line in refused:
                print(f'{prog}: error: {line}', file=sys.stderr)
            print(f'{prog}: {len(refused)} data file(s) above refused, nothing started',
                  file=sys.stderr)
            sys.exit(1)
        if preflight is not None and preflight(cfg, args, prog):
            sys.exit(1)
        run_mmpose_tool(name, argv)
    except ToolError as e:
        print(f'{prog}: error: {e}', file=sys.stderr)
        sys.exit(USAGE_ERROR)
    except CheckpointLoadError as e:  # refused or damaged: the message names the file
        hint = (' To resume from an earlier checkpoint, pass it: --resume WORK_DIR/epoch_N.pth '
                '(a refused or damaged file changes nothing in the others).'
                if '--resume' in argv else '')
        print(f'{prog}: error: {e}{hint}', file=sys.stderr)
        sys.exit(1)
    except KeyError as e:
        line = explain_registry_error(e, cfg)
        if line is None:
            raise
        print(f'{prog}: error: {line}', file=sys.stderr)
        sys.exit(1)
