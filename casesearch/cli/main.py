"""The ``casesearch`` command: one subcommand per task.

Each subcommand lives in its own module (``*_cmd.py``) as ``add_arguments`` + ``run``, a thin
shell over the stages' Python API, so that the command line, the app and the evaluation behave
the same.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from types import ModuleType

from casesearch.cli import (
    app_cmd,
    eval_cmd,
    index_cmd,
    ingest_args,
    model_cmd,
    options,
    search_cmd,
)
from casesearch.index.model.embedder import ModelUnavailableError
from casesearch.index.storage.manifest import IndexError_

#: (name, help, module with add_arguments and run) of every subcommand, in help order.
SUBCOMMANDS: list[tuple[str, str, ModuleType]] = [
    ("model", "show the embedding model in use", model_cmd),
    ("ingest", "read case files into the case store", ingest_args),
    ("index", "ingest files (default: the bundled corpus) and update the index", index_cmd),
    ("search", "rank cases for a question", search_cmd),
    ("eval", "evaluate retrieval on labelled questions", eval_cmd),
    ("app", "serve the web app", app_cmd),
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="casesearch",
        description="Search Danish and English citizen-participation cases in either language.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    for name, help_text, module in SUBCOMMANDS:
        p = sub.add_parser(name, help=help_text)
        options.add_common(p)
        module.add_arguments(p)
        runner: Callable[[argparse.Namespace], int] = module.run
        p.set_defaults(func=runner)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``casesearch`` console script."""
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except ModelUnavailableError as exc:
        print(f"casesearch: {exc}", file=sys.stderr)
        return 3
    except IndexError_ as exc:  # missing, mismatching or damaged index: the message says how
        print(f"casesearch: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("casesearch: interrupted; the previous store and index are intact.", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader went away (``casesearch search ... | head -1``): stop quietly.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 141


if __name__ == "__main__":
    sys.exit(main())
