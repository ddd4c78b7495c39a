"""Zip containers (Word documents) are looked into before anything is unpacked.

A .docx is a zip file, and a few MB of zip can unpack to gigabytes (a "zip bomb": one
``word/document.xml`` of 1 GB in a 2.7 MB file took 7 GB of memory and stopped the run).
The zip directory states every member's unpacked size; the total must stay under a limit
before the document library opens the file.

The directory can understate sizes, but that is no way round the limit: Python's zip reader
stops every member at its stated size (and then fails its checksum), so what is unpacked is
never more than the directory admits.
"""

from __future__ import annotations

import io
import zipfile

#: More members than this is no document (a Word file has a few dozen).
MAX_MEMBERS = 10_000


class ArchiveTooLarge(ValueError):
    """The archive would unpack to more than allowed; the message gives both sizes."""


def _mb(n: int) -> str:
    return f"{n / 1e6:.1f}".removesuffix(".0")


def check_zip(data: bytes, max_unpacked: int) -> None:
    """Make sure a zip file unpacks to at most ``max_unpacked`` bytes, without unpacking it.

    Raises:
        ArchiveTooLarge: too many members, or more unpacked bytes than allowed.
        zipfile.BadZipFile: not a zip file.
    """
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        members = archive.infolist()
        if len(members) > MAX_MEMBERS:
            raise ArchiveTooLarge(f"{len(members)} files inside > {MAX_MEMBERS} limit")
        unpacked = sum(member.file_size for member in members)
        if unpacked > max_unpacked:
            raise ArchiveTooLarge(f"{_mb(unpacked)} MB > {_mb(max_unpacked)} MB limit")
