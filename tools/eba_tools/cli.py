"""Command-line plumbing shared by the tools (standard library only, so deployment tools that
run without torch or MMPose can use it)."""
import argparse
from typing import Any, Callable, Optional, Sequence


def run_tool(main: Callable[[argparse.Namespace], Any], parser: argparse.ArgumentParser,
             argv: Optional[Sequence[str]] = None) -> Any:
    """Parse arguments and run a tool's ``main(args)``; any error becomes one line on stderr.

    Argument errors (argparse's) and errors raised by ``main`` both print
    ``PROG: error: MESSAGE`` and exit with status 2. Adds ``--debug`` (show the full traceback
    instead).
    """
    parser.add_argument('--debug', action='store_true',
                        help='on error, show the full traceback instead of one line')

    def one_line_error(message: str) -> None:  # argparse prints the whole usage block
        parser.exit(2, f'{parser.prog}: error: {message} (see --help)\n')

    parser.error = one_line_error  # type: ignore[method-assign]
    args = parser.parse_args(argv)
    try:
        return main(args)
    except KeyboardInterrupt:
        parser.exit(130, f'{parser.prog}: interrupted\n')
    except Exception as e:  # noqa: BLE001 - a tool reports the cause in one line
        if args.debug:
            raise
        msg = ' '.join(str(e).split()) or type(e).__name__
        if isinstance(e, KeyError):
            msg = msg.strip('"\'')
        parser.exit(2, f'{parser.prog}: error: {msg} (--debug for the traceback)\n')
