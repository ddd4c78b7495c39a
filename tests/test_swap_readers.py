"""Readers opening the index while another process swaps new versions in see whole versions.

Two real processes: one keeps updating the index (appends, merges, rebuilds from scratch), the
other keeps opening it. Every open must succeed and hold exactly one version the writer made.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

WRITER = textwrap.dedent(
    """
    import json, sys, time
    from pathlib import Path
    import numpy as np
    from casesearch.index.model.embedder import load_embedder
    from casesearch.index.storage.build import build_index, index_dir
    from casesearch.index.storage.manifest import Manifest
    from casesearch.index.storage.segments import read_hashes, read_vectors
    from casesearch.ingest.store import load_store

    seed, data_dir, model_dir, seconds, log = sys.argv[1:6]
    seed, data_dir, log = Path(seed), Path(data_dir), Path(log)
    embedder = load_embedder(None, Path(model_dir))
    cases = load_store(seed).cases
    folder = index_dir(seed)
    vectors = {}
    for entry in Manifest.load(folder).segments:
        seg = folder / entry.name
        vectors.update(zip(read_hashes(seg), np.asarray(read_vectors(seg)), strict=True))
    rng = np.random.default_rng(7)
    # States: growing prefixes (appends), a shrunk set (merge), and rebuilds from scratch.
    plans = [(40, False), (50, False), (60, False), (70, False), (90, False), (30, False),
             (45, True), (55, False), (65, False), (90, True)]
    stop = time.time() + float(seconds)
    builds = 0
    with log.open("w") as out:
        while time.time() < stop:
            n, rebuild = plans[builds % len(plans)]
            chosen = cases[:n]
            build_index(chosen, data_dir, embedder, precomputed=vectors, rebuild=rebuild)
            manifest = Manifest.load(index_dir(data_dir))
            out.write(json.dumps({"fingerprint": manifest.corpus_fingerprint,
                                  "ids": sorted(c.id for c in chosen)}) + "\\n")
            out.flush()
            builds += 1
    print(builds)
    """
)

READER = textwrap.dedent(
    """
    import json, sys, time
    from pathlib import Path
    from casesearch.index.model.embedder import load_embedder
    from casesearch.index.search.searcher import Searcher

    data_dir, model_dir, seconds, log = sys.argv[1:5]
    embedder = load_embedder(None, Path(model_dir))
    stop = time.time() + float(seconds)
    with open(log, "w") as out:
        while time.time() < stop:
            try:
                s = Searcher.load(Path(data_dir), embedder)
                row = {"fingerprint": s.manifest.corpus_fingerprint,
                       "ids": sorted(c.id for c in s.cases),
                       "chunks_ok": len(s.chunks) == s.manifest.chunks,
                       "results": len(s.search("borgerinddragelse", 3, highlight=False).results)}
            except Exception as exc:
                row = {"error": f"{type(exc).__name__}: {exc}"}
            out.write(json.dumps(row) + "\\n")
            out.flush()
    """
)


def test_readers_never_see_a_half_swapped_index(
    seed_data_dir: Path, model_dir: Path, tmp_path: Path, embedder
) -> None:
    from test_index_segments import seed_vectors

    from casesearch.index.storage.build import build_index, index_dir
    from casesearch.index.storage.manifest import Manifest
    from casesearch.ingest.store import load_store

    data_dir = tmp_path / "data"
    store = load_store(seed_data_dir)
    assert store is not None
    vectors = seed_vectors(seed_data_dir)
    first = build_index(store.cases[:30], data_dir, embedder, precomputed=vectors)
    assert first.cases == 30
    first_fingerprint = Manifest.load(index_dir(data_dir)).corpus_fingerprint
    (tmp_path / "writer.py").write_text(WRITER, encoding="utf-8")
    (tmp_path / "reader.py").write_text(READER, encoding="utf-8")
    seconds = "25"
    writer = subprocess.Popen(
        [sys.executable, str(tmp_path / "writer.py"), str(seed_data_dir), str(data_dir),
         str(model_dir), seconds, str(tmp_path / "writes.jsonl")],
        cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    reader = subprocess.Popen(
        [sys.executable, str(tmp_path / "reader.py"), str(data_dir), str(model_dir), seconds,
         str(tmp_path / "reads.jsonl")],
        cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    w_out, w_err = writer.communicate(timeout=600)
    _, r_err = reader.communicate(timeout=600)
    assert writer.returncode == 0, w_err
    assert reader.returncode == 0, r_err
    builds = int(w_out.split()[-1])
    assert builds >= 10, "the writer must have swapped in many versions"
    versions = {
        json.loads(line)["fingerprint"]: json.loads(line)["ids"]
        for line in (tmp_path / "writes.jsonl").read_text().splitlines()
    }
    versions[first_fingerprint] = sorted(c.id for c in store.cases[:30])
    reads = [json.loads(line) for line in (tmp_path / "reads.jsonl").read_text().splitlines()]
    assert len(reads) >= 20
    errors = [r["error"] for r in reads if "error" in r]
    assert not errors, f"{len(errors)} of {len(reads)} opens failed, first: {errors[0]}"
    for read in reads:
        assert read["fingerprint"] in versions
        assert read["ids"] == versions[read["fingerprint"]]
        assert read["chunks_ok"] and read["results"] == 3
    assert len({r["fingerprint"] for r in reads}) >= 3, "the reader must have seen many versions"
