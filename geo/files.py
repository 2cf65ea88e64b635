"""Bytes to files: reproducible zips and atomic writes (a reader sees the old file or the new one, never half)."""

from __future__ import annotations

import io
import os
import tempfile
import zipfile
from collections.abc import Callable, Mapping
from pathlib import Path

from geo.errors import InvalidParameter


def zip_bytes(
    members: Mapping[str, bytes], *, date_time: tuple[int, int, int, int, int, int] = (2000, 1, 1, 0, 0, 0)
) -> bytes:
    """Return a deflated zip of ``{name: bytes}`` with fixed timestamps (same input, same bytes)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            info = zipfile.ZipInfo(name, date_time=date_time)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, data)
    return buffer.getvalue()


def write_files_atomic(files: Mapping[Path, Callable[[Path], None]]) -> list[Path]:
    """Write several files together: each through a temporary file in its folder, renamed once all are complete.

    Parameters
    ----------
    files
        Final path → function writing the content to the (temporary) path it is given.

    Returns
    -------
    list of Path
        The final paths, in the order given. On error every temporary file is
        removed and, if no rename has happened yet, no file is new or changed.
    """
    temps: dict[Path, Path] = {}
    try:
        for final, write in files.items():
            fd, tmp = tempfile.mkstemp(prefix=f".{final.name}-", suffix=".part", dir=final.parent)
            os.close(fd)
            temps[final] = Path(tmp)
            write(Path(tmp))
            with open(tmp, "rb+") as f:
                os.fsync(f.fileno())
            os.chmod(tmp, 0o644)  # mkstemp creates 0600; the web server must read the exports
        for final, tmp in temps.items():
            os.replace(tmp, final)
    except BaseException:
        for tmp in temps.values():
            tmp.unlink(missing_ok=True)
        raise
    return list(temps)


def write_atomic(path: Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` through a temporary file in the same folder, renamed when complete.

    Raises
    ------
    InvalidParameter
        The folder of ``path`` does not exist or ``path`` is a folder.
    """
    path = Path(path)
    if not path.parent.is_dir():
        raise InvalidParameter("output", f"folder {str(path.parent)!r} does not exist")
    if path.is_dir():
        raise InvalidParameter("output", f"{str(path)!r} is a folder; give a file name")
    write_files_atomic({path: lambda tmp: tmp.write_bytes(data)})
    return path
