"""Run a script of ``tools/`` in-process (no interpreter start per call): ``run_script``."""
import importlib.util
import os.path as osp
import sys

import pytest

TOOLS = osp.join(osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))), 'tools')


def load_script(path: str):
    """The module of ``tools/<path>`` (its ``if __name__ == '__main__'`` block not run)."""
    name = 'script_' + path[:-3].replace('/', '_')
    spec = importlib.util.spec_from_file_location(name, osp.join(TOOLS, path))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def run_script(capsys, monkeypatch):
    """``run_script('check_dataset.py', [...]) -> (exit status, stdout, stderr)``.

    Scripts with ``build_parser()`` run through ``eba_tools.cli.run_tool`` exactly as their
    ``__main__`` block does; the others through ``main(argv)``.
    """

    def run(path, argv):
        module = load_script(path)
        monkeypatch.setattr(sys, 'argv', [osp.join('tools', path)] + list(argv))
        try:
            if hasattr(module, 'build_parser'):
                from eba_tools.cli import run_tool
                run_tool(module.main, module.build_parser(), list(argv))
            else:
                module.main(list(argv))
            code = 0
        except SystemExit as e:
            code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
        out, err = capsys.readouterr()
        return code, out, err

    return run


@pytest.fixture
def check_help():
    """``check_help('analysis/get_flops.py')``: every argument of the script's parser has help
    text, and every optional argument with a default shows it."""
    import argparse

    def check(path):
        parser = load_script(path).build_parser()
        assert parser.formatter_class is argparse.ArgumentDefaultsHelpFormatter
        undocumented = [a.dest for a in parser._actions if not (a.help and a.help.strip())]
        assert not undocumented, f'{path}: no help text for {undocumented}'
        with_default = [a for a in parser._actions
                        if a.option_strings and a.default not in (None, False, '==SUPPRESS==')]
        assert parser.format_help().count('(default:') >= len(with_default)

    return check


@pytest.fixture
def error_lines():
    """``error_lines(stderr)``: its lines without Python warnings (a warning and the source line
    it quotes), i.e. what a tool itself printed."""

    def lines(err):
        out, skip_next = [], False
        for line in err.strip().splitlines():
            if skip_next:
                skip_next = False
                continue
            if 'Warning: ' in line:
                skip_next = True  # warnings.warn prints the source line below it
                continue
            out.append(line)
        return out

    return lines
