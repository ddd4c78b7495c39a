"""Which code produced a report: the git commit and any uncommitted changes to it.

Figures are only comparable when the ranking code is known; a report made from a working tree
with edits to ``index/`` would otherwise look like one made from the commit.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from casesearch.core.config import REPO_ROOT

#: Folders whose changes alter what the evaluation measures.
CODE_DIRS = ("casesearch", "ingest", "index", "eval")


def code_version(repo: Path | None = REPO_ROOT) -> dict[str, object]:
    """``{"commit": sha | None, "modified": [paths]}``; ``commit`` is None outside git."""
    if repo is None:  # an installed wheel: no checkout to ask
        return {"commit": None, "modified": []}

    def git(*args: str) -> str | None:
        try:
            done = subprocess.run(
                ["git", "-C", str(repo), *args],
                capture_output=True,
                text=True,
                timeout=10,
                check=True,
            )
        except (OSError, subprocess.SubprocessError):
            return None
        return done.stdout

    commit = git("rev-parse", "HEAD")
    if commit is None:
        return {"commit": None, "modified": []}
    status = git("status", "--porcelain", "--untracked-files=all", "--", *CODE_DIRS) or ""
    modified = sorted(
        line[3:]
        for line in status.splitlines()
        if line[3:].endswith(".py") and not line[3:].startswith("eval/questions/")
    )
    return {"commit": commit.strip(), "modified": modified}
