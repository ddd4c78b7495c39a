"""``casesearch app``: serve the web app, from a checkout or from an installed wheel.

It runs Streamlit on the app's entry script inside the package (``casesearch/ui/app.py``), with
the settings the app needs on the command line, so no ``.streamlit`` folder is required. The
data directory and model options reach the app through its environment, which the app (like
the command line) is allowed to read.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from casesearch.cli import options
from casesearch.core.config import ALLOW_DOWNLOAD_ENV, BACKEND_ENV, DATA_DIR_ENV, MODEL_ENV

#: Set for the app when it may change nothing (read by ``casesearch.ui.access``).
READ_ONLY_ENV = "CASESEARCH_READ_ONLY"

#: The app's entry script, inside the installed package.
ENTRY = Path(__file__).resolve().parent.parent / "ui" / "app.py"

#: Streamlit settings of the app (the same as ``.streamlit/config.toml`` in a checkout).
SERVER_SETTINGS = {
    "server.headless": "true",
    # No file watching: a virtual environment beside the code overflows inotify.
    "server.fileWatcherType": "none",
    "server.maxUploadSize": "25",
    "browser.gatherUsageStats": "false",
    "client.toolbarMode": "minimal",
    "theme.primaryColor": "#1e429f",
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--port", type=int, default=8501, help="port to serve on (default 8501)")
    parser.add_argument(
        "--address",
        default="127.0.0.1",
        help="address to listen on (default 127.0.0.1: this machine only; 0.0.0.0 for every "
        "interface: only behind a login, see the README)",
    )
    parser.add_argument(
        "--read-only",
        action="store_true",
        help="serve search and reading only: no uploads, judgments, evaluations or rebuilds "
        f"(also ${READ_ONLY_ENV}=1)",
    )


def command(args: argparse.Namespace) -> list[str]:
    """The Streamlit command line that serves the app."""
    flags = [f"--{key}={value}" for key, value in SERVER_SETTINGS.items()]
    return [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(ENTRY),
        f"--server.port={args.port}",
        f"--server.address={args.address}",
        *flags,
    ]


def environment(args: argparse.Namespace) -> dict[str, str]:
    """The app's environment: this one plus the options given on the command line."""
    env = dict(os.environ)
    env[DATA_DIR_ENV] = str(options.data_dir(args))
    model = options.model_settings(args)
    for name, value in ((MODEL_ENV, model.model), (BACKEND_ENV, model.backend)):
        if value:
            env[name] = value
    if model.allow_download:
        env[ALLOW_DOWNLOAD_ENV] = "1"
    if args.read_only:
        env[READ_ONLY_ENV] = "1"
    return env


def run(args: argparse.Namespace) -> int:
    """Serve the app: this process becomes Streamlit's server (so signals reach it)."""
    env = environment(args)
    print(f"casesearch app on http://{args.address}:{args.port} (Ctrl-C stops it)", file=sys.stderr)
    sys.stderr.flush()
    argv = command(args)
    os.execve(argv[0], argv, env)
