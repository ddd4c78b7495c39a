"""Ingest: files and folders in, an updated case store out.

A run lists the input files, reuses what the previous store holds for unchanged files,
reads new and changed ones (each in a worker process with a time and memory budget, see
:mod:`ingest.isolation`), merges near-duplicate cases across files, gives every case a
stable id and chunks, and writes the store atomically. Files that were under a given root
and are gone lose their cases; files ingested from other roots are kept.

Linked folders are followed, once: every folder is read under its own path first, and a
link to a folder that is read already (an alias, or a loop back up the tree) is listed as
skipped with the folder it points to. Links are common in corpora assembled from shared
folders, and files behind links are read like any other file.
"""

from __future__ import annotations

import hashlib
import os
import stat
from collections import Counter
from dataclasses import dataclass, field, replace
from pathlib import Path

from casesearch.core.progress import Progress, no_progress
from casesearch.ingest.dedup import near_duplicate_pairs
from casesearch.ingest.ids import case_id, chunk_id, short_hash
from casesearch.ingest.isolation import FileReader, FileRequest
from casesearch.ingest.model import Case, Chunk
from casesearch.ingest.options import IngestOptions
from casesearch.ingest.parsing import chunk_layout
from casesearch.ingest.paths import clean_text, key_of_path, path_of_key, readable
from casesearch.ingest.store import SourceRecord, Store, load_store, save_store

#: Bump when parsing changes what a file turns into; stores from older code are re-read.
PARSER_VERSION = "3"


@dataclass
class IngestReport:
    """Summary of a run over the given paths (what ``--report`` prints)."""

    files: int = 0
    cases: int = 0
    chunks: int = 0
    languages: dict[str, int] = field(default_factory=dict)
    duplicates_merged: int = 0
    skipped: list[dict[str, str]] = field(default_factory=list)
    #: The whole case store after the run (all roots, not only the given paths): what the
    #: index stage builds from, handed over without reading the file again.
    store: Store | None = field(default=None, repr=False, compare=False)

    @property
    def ingested_anything(self) -> bool:
        """Whether the given paths produced at least one case."""
        return self.cases > 0

    def to_dict(self) -> dict[str, object]:
        """The JSON summary."""
        return {
            "files": self.files,
            "cases": self.cases,
            "chunks": self.chunks,
            "languages": dict(sorted(self.languages.items())),
            "duplicates_merged": self.duplicates_merged,
            "skipped": self.skipped,
        }


@dataclass
class _Input:
    """A file to ingest: where it is, and its key, label and collection (all readable)."""

    path: Path
    label: str
    collection: str

    @property
    def key(self) -> str:
        return key_of_path(self.path)


@dataclass
class _Pending:
    """A case whose id and chunks are not settled yet.

    ``passages`` holds the chunks of a case that was just read, as ``(start, end, part)``.
    """

    case: Case
    spans: list[tuple[str | None, int, int]]
    order: tuple[str, int]
    noise: float
    carried: bool
    passages: list[tuple[int, int, int]] | None = None


def _is_hidden(name: str) -> bool:
    return name.startswith(".")


def _skip(path: Path, reason: str) -> dict[str, str]:
    return {"path": key_of_path(path), "reason": reason}


@dataclass
class _Walk:
    """Input files found so far, skipped entries, and the folders read (by device/inode)."""

    inputs: dict[str, _Input] = field(default_factory=dict)
    skipped: list[dict[str, str]] = field(default_factory=list)
    folders: dict[tuple[int, int], Path] = field(default_factory=dict)
    links: list[tuple[Path, Path]] = field(default_factory=list)

    def tree(self, top: Path, root: Path) -> None:
        """Files under ``top`` (``root`` or a linked folder below it), without following
        links; the links to folders found on the way are kept for :meth:`follow_links`."""
        base = root.parent
        errors: list[OSError] = []
        for folder, dirs, files in os.walk(top, onerror=errors.append):
            here = Path(folder)
            try:
                st = os.stat(here)
                self.folders.setdefault((st.st_dev, st.st_ino), here)
            except OSError:
                pass
            keep: list[str] = []
            for d in sorted(dirs):
                if _is_hidden(d):
                    self.skipped.append(_skip(here / d, "hidden folder, not searched"))
                elif os.path.islink(here / d):
                    self.links.append((here / d, root))
                else:
                    keep.append(d)
            dirs[:] = keep
            rel = here.relative_to(root)
            collection = readable(root.name if str(rel) == "." else rel.as_posix())
            for name in sorted(files):
                path = here / name
                label = readable(path.relative_to(base).as_posix())
                self.inputs.setdefault(key_of_path(path), _Input(path, label, collection))
        for err in errors:
            self.skipped.append(_skip(Path(err.filename), f"cannot read folder: {err.strerror}"))

    def follow_links(self) -> None:
        """Read linked folders that are not read already; list the others as skipped."""
        while self.links:
            link, root = self.links.pop(0)
            try:
                st = os.stat(link)
            except OSError as exc:
                self.skipped.append(_skip(link, f"cannot read folder link: {exc.strerror}"))
                continue
            seen = self.folders.get((st.st_dev, st.st_ino))
            if seen is None:
                self.tree(link, root)
                continue
            shown = readable(str(seen))
            if Path(os.path.realpath(link.parent)).is_relative_to(os.path.realpath(link)):
                reason = f"folder link loop: it points back up to {shown}"
            else:
                reason = f"folder link to {shown}, which is read already"
            self.skipped.append(_skip(link, reason))


def _enumerate(
    paths: list[Path],
) -> tuple[list[_Input], list[dict[str, str]], list[Path]]:
    """Input files under the given paths, sorted; plus skipped entries and resolved roots."""
    walk = _Walk()
    roots: list[Path] = []
    for given in paths:
        root = Path(os.path.abspath(Path(given).expanduser()))
        roots.append(root)
        if root.is_dir():
            walk.tree(root, root)
        elif root.exists() or root.is_symlink():
            walk.inputs.setdefault(
                key_of_path(root), _Input(root, readable(root.name), readable(root.parent.name))
            )
        else:
            walk.skipped.append(_skip(root, "not found"))
    # Links last, so that every folder is read under its own path when it has one.
    walk.follow_links()
    inputs = sorted(walk.inputs.items())
    return [inp for _, inp in inputs], walk.skipped, roots


def _under(key: str, roots: list[Path]) -> bool:
    p = path_of_key(key)
    return any(p == r or r in p.parents for r in roots)


def _mb(n: int) -> str:
    text = f"{n / 1e6:.1f}"
    return text.removesuffix(".0")


def _read_bytes(inp: _Input, options: IngestOptions) -> tuple[bytes | None, SourceRecord]:
    """File bytes and a fresh source record (status skipped with a reason on failure)."""
    try:
        st = os.stat(inp.path)
    except FileNotFoundError:
        return None, SourceRecord(
            "", 0, 0.0, status="skipped", reason="cannot read: broken link or file vanished"
        )
    except PermissionError:
        return None, SourceRecord(
            "", 0, 0.0, status="skipped", reason="cannot read: permission denied"
        )
    except OSError as exc:
        return None, SourceRecord(
            "", 0, 0.0, status="skipped", reason=f"cannot read: {exc.strerror}"
        )
    record = SourceRecord("", st.st_size, st.st_mtime, label=inp.label, collection=inp.collection)
    if not stat.S_ISREG(st.st_mode):
        return None, replace(record, status="skipped", reason="not a regular file")
    if st.st_size > options.max_file_bytes:
        reason = f"too large ({_mb(st.st_size)} MB > {_mb(options.max_file_bytes)} MB limit)"
        record.fingerprint = f"size-{st.st_size}-mtime-{st.st_mtime}"
        return None, replace(record, status="skipped", reason=reason)
    try:
        with open(inp.path, "rb") as fh:
            data = fh.read()
    except PermissionError:
        return None, replace(record, status="skipped", reason="cannot read: permission denied")
    except OSError as exc:
        return None, replace(record, status="skipped", reason=f"cannot read: {exc.strerror or exc}")
    record.fingerprint = hashlib.sha256(data).hexdigest()
    return data, record


def _parse(inp: _Input, data: bytes, record: SourceRecord, reader: FileReader) -> list[_Pending]:
    """Cases of one file; sets ``record`` to skipped with a reason when there are none."""
    request = FileRequest(inp.path, data, inp.key, inp.collection, readable(inp.path.stem))
    outcome = reader.read(request)
    if outcome.parsed is None:
        record.status, record.reason = "skipped", clean_text(outcome.reason or "skipped")
        if outcome.over_budget:
            record.budget = reader.options.budget_key()
        return []
    parsed = outcome.parsed
    record.noise = parsed.noise
    record.note = parsed.note
    return [
        _Pending(case, spans, (inp.key, idx), record.noise, carried=False, passages=found)
        for idx, (case, spans, found) in enumerate(
            zip(parsed.cases, parsed.spans, parsed.passages, strict=True)
        )
    ]


def _carry(case: Case, position: int, noise: float) -> _Pending:
    spans: list[tuple[str | None, int, int]] = []
    return _Pending(case, spans, (case.source, position), noise, carried=True)


def _merge_duplicates(pending: list[_Pending], threshold: float) -> list[_Pending]:
    """Merge near-duplicate cases from different files into the cleanest copy."""
    pairs = near_duplicate_pairs([p.case.text for p in pending], threshold)
    parent = list(range(len(pending)))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for i, j, _ in pairs:
        a, b = pending[i], pending[j]
        if a.case.source == b.case.source or (a.carried and b.carried):
            continue
        parent[find(i)] = find(j)
    groups: dict[int, list[int]] = {}
    for i in range(len(pending)):
        groups.setdefault(find(i), []).append(i)
    out: list[_Pending] = []
    for members in groups.values():
        if len(members) == 1:
            out.append(pending[members[0]])
            continue
        ranked = sorted(
            (pending[m] for m in members),
            key=lambda p: (p.noise, -len(p.case.text), p.order),
        )
        keeper = ranked[0]
        for other in ranked[1:]:
            for src in [other.case.source, *other.case.also_sources]:
                if src != keeper.case.source and src not in keeper.case.also_sources:
                    keeper.case.also_sources.append(src)
            for key, value in other.case.fields.items():
                keeper.case.fields.setdefault(key, value)
            keeper.case.url = keeper.case.url or other.case.url
        keeper.case.also_sources.sort()
        keeper.carried = False
        if not keeper.spans:
            keeper.spans = [(s.title, s.start, s.end) for s in keeper.case.sections] or [
                (None, 0, len(keeper.case.text))
            ]
        out.append(keeper)
    out.sort(key=lambda p: p.order)
    return out


def _assign_ids(pending: list[_Pending], previous: Store | None, labels: dict[str, str]) -> None:
    """Ids from titles; an id a case had before is kept so judgments stay valid."""
    before: dict[tuple[str, str], str] = {}
    if previous is not None:
        for c in previous.cases:
            before.setdefault((c.source, c.title), c.id)
    taken: set[str] = set()
    rest: list[_Pending] = []
    for p in pending:
        old = before.get((p.case.source, p.case.title))
        if old and old not in taken:
            p.case.id = old
            taken.add(old)
        else:
            rest.append(p)
    for p in rest:
        base = case_id(p.case.title)
        cid = base
        if cid in taken:
            label = labels.get(p.case.source, Path(p.case.source).name)
            cid = f"{base}-{short_hash(label + p.case.title, 6)}"
            n = 2
            while cid in taken:
                cid = f"{base}-{short_hash(label + p.case.title, 6)}-{n}"
                n += 1
        p.case.id = cid
        taken.add(cid)


def _chunk(p: _Pending, options: IngestOptions) -> None:
    """Give a case its chunks with ids: carried cases keep theirs, read ones take the
    passages found when they were read, a carried case merged with a changed duplicate is
    chunked anew."""
    case = p.case
    if p.carried and case.chunks:
        layout = case.chunks
    else:
        layout = chunk_layout(case, p.spans, options, p.passages)
    case.chunks = [
        Chunk(chunk_id(case.id, i), c.start, c.end, c.section, c.lang) for i, c in enumerate(layout)
    ]


def ingest_paths(
    paths: list[Path],
    data_dir: Path,
    *,
    options: IngestOptions | None = None,
    on_progress: Progress | None = None,
) -> IngestReport:
    """Read files and folders into the case store in ``data_dir``.

    Args:
        paths: files and folders (searched recursively).
        data_dir: the data directory; the store is ``data_dir/store/store.json``.
        options: how files become cases and chunks.
        on_progress: told ``("ingest", files read, files)`` as files are read.

    Returns:
        A report on the given paths: their files, cases, chunks, languages, merged
        duplicates and skipped files with reasons.
    """
    options = options or IngestOptions()
    previous = load_store(data_dir)
    reusable = (
        previous is not None
        and previous.parser_version == PARSER_VERSION
        and previous.options == options.fingerprint()
    )
    inputs, walk_skipped, roots = _enumerate(paths)
    by_key = {i.key: i for i in inputs}
    prev_sources = previous.sources if previous else {}
    prev_cases_by_source: dict[str, list[Case]] = {}
    for c in previous.cases if previous else []:
        prev_cases_by_source.setdefault(c.source, []).append(c)

    # Sources from earlier runs that are outside the given roots stay as they were.
    outside = {k: v for k, v in prev_sources.items() if k not in by_key and not _under(k, roots)}
    removed = {k for k in prev_sources if k not in by_key and _under(k, roots)}

    records: dict[str, SourceRecord] = {}
    datas: dict[str, bytes | None] = {}
    carried_keys: set[str] = set()
    report_progress = on_progress or no_progress
    for done, inp in enumerate(inputs):
        report_progress("ingest", done, len(inputs))
        key = inp.key
        data, record = _read_bytes(inp, options)
        old = prev_sources.get(key)
        if (
            reusable
            and old is not None
            and old.fingerprint == record.fingerprint
            and record.fingerprint
            and old.budget in (None, options.budget_key())
        ):
            records[key] = replace(
                old, mtime=record.mtime, label=inp.label, collection=old.collection
            )
            carried_keys.add(key)
        else:
            records[key] = record
            datas[key] = data
    carried_keys |= set(outside) if reusable else set()
    if not reusable:
        # Code or settings changed: re-read earlier sources outside the roots too.
        for key, rec in outside.items():
            path = path_of_key(key)
            inp = _Input(path, rec.label or readable(path.name), rec.collection)
            by_key[key] = inp
            data, record = _read_bytes(inp, options)
            records[key], datas[key] = record, data

    # Files entangled with re-read or removed files through merged duplicates are re-read.
    changed = set(datas) | removed
    while True:
        extra: set[str] = set()
        for key in carried_keys:
            for c in prev_cases_by_source.get(key, []):
                if set(c.also_sources) & changed:
                    extra.add(key)
        for key in changed:
            for c in prev_cases_by_source.get(key, []):
                extra |= {s for s in c.also_sources if s in carried_keys}
        extra &= carried_keys
        if not extra:
            break
        for key in extra:
            carried_keys.discard(key)
            rec = prev_sources[key]
            path = path_of_key(key)
            inp = by_key.get(key) or _Input(path, rec.label or readable(path.name), rec.collection)
            by_key[key] = inp
            data, record = _read_bytes(inp, options)
            records[key], datas[key] = record, data
        changed |= extra

    pending: list[_Pending] = []
    for key in sorted(carried_keys):
        rec = records.get(key) or prev_sources[key]
        records[key] = rec
        for pos, c in enumerate(prev_cases_by_source.get(key, [])):
            pending.append(_carry(c, pos, rec.noise))
    with FileReader(options) as reader:
        for key in sorted(datas):
            data, record = datas[key], records[key]
            if data is None:
                continue
            pending.extend(_parse(by_key[key], data, record, reader))
    # Carried cases merged away earlier must not point at files that are re-read now.
    for p in pending:
        if p.carried:
            p.case.also_sources = [s for s in p.case.also_sources if s not in changed]

    merged = _merge_duplicates(pending, options.near_duplicate_threshold)
    labels = {k: r.label for k, r in records.items()}
    _assign_ids(merged, previous, labels)
    for p in merged:
        _chunk(p, options)

    for rec in records.values():
        rec.case_ids = []
    for p in merged:
        for src in [p.case.source, *p.case.also_sources]:
            if src in records:
                records[src].case_ids.append(p.case.id)
    for rec in records.values():
        if rec.status == "ok" and not rec.case_ids:
            rec.status, rec.reason = "skipped", "no case text found"
    store = Store(
        cases=[p.case for p in merged],
        sources=dict(sorted(records.items())),
        skipped=[
            {"path": k, "reason": r.reason or "skipped"}
            for k, r in sorted(records.items())
            if r.status == "skipped"
        ],
        parser_version=PARSER_VERSION,
        options=options.fingerprint(),
    )
    save_store(store, data_dir)

    run_keys = {i.key for i in inputs}
    run_cases = [c for c in store.cases if c.source in run_keys or set(c.also_sources) & run_keys]
    report = IngestReport(
        files=len(inputs),
        cases=len(run_cases),
        chunks=sum(len(c.chunks) for c in run_cases),
        languages=dict(Counter(c.lang for c in run_cases)),
        duplicates_merged=sum(len(set(c.also_sources) & run_keys) for c in run_cases),
        skipped=[
            *walk_skipped,
            *(
                {"path": k, "reason": records[k].reason or "skipped"}
                for k in sorted(run_keys)
                if records[k].status == "skipped"
            ),
        ],
        store=store,
    )
    report_progress("ingest", len(inputs), len(inputs))
    return report


__all__ = ["IngestReport", "ingest_paths"]
