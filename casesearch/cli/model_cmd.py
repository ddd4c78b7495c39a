"""``casesearch model``: which embedding model is in use, and a Danish/English check."""

from __future__ import annotations

import argparse
import json

from casesearch.cli import options
from casesearch.index.model.sanity import cross_lingual_check


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--check", action="store_true", help="run a Danish/English sanity check")
    parser.add_argument("--json", action="store_true")


def run(args: argparse.Namespace) -> int:
    """Print the model in use; with ``--check``, exit 1 unless the check passes."""
    embedder = options.embedder(args, options.data_dir(args))
    info = embedder.info
    out: dict[str, object] = {
        "model": info.model_id,
        "provenance": info.provenance,
        "path": info.path,
        "dimension": info.dim,
        "max_length": info.max_length,
        "prompts": info.prompts,
        "backend": info.backend,
        "quantization": info.quantization,
        "load_seconds": round(embedder.load_seconds, 2),
    }
    check = cross_lingual_check(embedder) if args.check else None
    if check is not None:
        out["check"] = {"passed": check.passed, "lines": check.lines}
    if args.json:
        print(json.dumps(out, indent=2, ensure_ascii=False))
    else:
        for key, value in out.items():
            if key != "check":
                print(f"{key:>12}: {value}")
        if check is not None:
            for line in check.lines:
                print(line)
            print("check:", "passed" if check.passed else "FAILED")
    return 1 if check is not None and not check.passed else 0
