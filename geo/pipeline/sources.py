"""Registry of upstream sources and their retrieval: mirror first, then download.

Every file is checked against the sha256 pinned in ``data/sources.toml`` before
use; a file that does not match is refused and nothing is written.
"""

from __future__ import annotations

import hashlib
import logging
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from geo.errors import ChecksumMismatch, DataError, SourceError
from geo.settings import Settings, data_dir, resolve

log = logging.getLogger(__name__)


REMEDY = (
    "BAMAKO_ATLAS_MIRROR to a folder laid out like the upstream repository "
    "(e.g. ../shared/data/upstream/OCA_Bamako_Maps), or connect to the internet so the files can be downloaded."
)


@dataclass(frozen=True)
class Source:
    """One pinned upstream file."""

    key: str
    path: str
    sha256: str
    url: str
    role: str
    licence: str
    attribution: str
    citation: str = ""


@cache
def registry() -> dict[str, Source]:
    """Return the sources declared in ``data/sources.toml``, keyed by name."""
    with open(data_dir() / "sources.toml", "rb") as f:
        doc = tomllib.load(f)
    base = doc["defaults"]["base_url"]
    return {
        key: Source(
            key=key, url=base + s["path"], **{k: s[k] for k in ("path", "sha256", "role", "licence", "attribution")}
        )
        for key, s in doc["sources"].items()
    }


@cache
def references() -> dict[str, Source]:
    """Return the reference tables declared in ``data/sources.toml`` (``[references.*]``), keyed by name."""
    with open(data_dir() / "sources.toml", "rb") as f:
        doc = tomllib.load(f)
    fields = ("path", "sha256", "url", "role", "licence", "attribution", "citation")
    return {key: Source(key=key, **{k: s[k] for k in fields}) for key, s in doc.get("references", {}).items()}


def reference_dir(settings: Settings | Mapping[str, Any] | None = None) -> Path | None:
    """Return the folder of the reference tables: ``reference`` two levels above the mirror, if a mirror is set.

    The shared data folder holds ``upstream/OCA_Bamako_Maps`` (the mirror) and ``reference`` side by side.
    """
    mirror = resolve(settings).mirror_dir()
    return mirror.resolve().parent.parent / "reference" if mirror is not None else None


def fetch_reference(key: str, settings: Settings | Mapping[str, Any] | None = None) -> Path:
    """Return the verified local path of reference table ``key``.

    Raises
    ------
    DataError
        The file is not in the reference folder, or its sha256 is not the pinned one (the file is named).
    """
    source = references()[key]
    folder = reference_dir(settings)
    if folder is None:
        raise DataError(
            f"reference table {source.path} not found: set BAMAKO_ATLAS_MIRROR to the mirror folder "
            f"(e.g. ../shared/data/upstream/OCA_Bamako_Maps); the table is read from ../../reference beside it"
        )
    path = folder / source.path
    if not path.is_file():
        raise DataError(f"reference table {path} not found (source: {source.citation})")
    actual = sha256_of(path)
    if actual != source.sha256:
        raise DataError(f"reference table {path} has sha256 {actual}, expected {source.sha256}: refusing to use it")
    return path


def sha256_of(path: Path) -> str:
    """Return the hex sha256 of a file."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def fetch(key: str, settings: Settings | Mapping[str, Any] | None = None) -> Path:
    """Return a local, verified path to source ``key``.

    The mirror folder (setting ``MIRROR``) is used first when set; otherwise the
    file is downloaded once into the cache (setting ``CACHE``) with pooch.

    Raises
    ------
    ChecksumMismatch
        The mirrored or downloaded file does not have the pinned sha256.
    SourceError
        The file is in no mirror and could not be downloaded.
    """
    return fetch_source(registry()[key], settings)


def fetch_all(settings: Settings | Mapping[str, Any] | None = None) -> dict[str, Path]:
    """Return verified local paths of every registered source and reference table, keyed by name.

    Raises one SourceError naming every file that could not be had (and both
    remedies), or the first ChecksumMismatch; a reference table missing or altered is a DataError.
    """
    settings = resolve(settings)
    paths: dict[str, Path] = {}
    missing: list[str] = []
    for key, source in registry().items():
        try:
            paths[key] = fetch_source(source, settings)
        except ChecksumMismatch:
            raise
        except SourceError:
            missing.append(source.path)
    if missing:
        raise SourceError(
            f"{len(missing)} source file(s) missing: {', '.join(missing)}. They are in no mirror folder and could not "
            f"be downloaded from {registry()[next(iter(registry()))].url.rsplit('/Vector/', 1)[0]}/. Either set "
            f"{REMEDY}"
        )
    paths.update({key: fetch_reference(key, settings) for key in references()})
    return paths


def fetch_source(source: Source, settings: Settings | Mapping[str, Any] | None = None) -> Path:
    """Return a local, verified path to ``source`` (see :func:`fetch`)."""
    settings = resolve(settings)
    mirror = settings.mirror_dir()
    if mirror is not None:
        candidate = mirror / source.path
        if candidate.is_file():
            actual = sha256_of(candidate)
            if actual != source.sha256:
                raise ChecksumMismatch(str(candidate), source.sha256, actual)
            return candidate
        log.info("%s not in mirror %s, downloading", source.path, mirror)
    return _download(source, settings)


def _download(source: Source, settings: Settings) -> Path:
    import pooch  # imported lazily: only needed when a file is not mirrored

    target_dir = settings.cache_dir()
    fname = source.path.replace("/", "__")
    try:
        return Path(
            pooch.retrieve(
                source.url, known_hash=f"sha256:{source.sha256}", fname=fname, path=target_dir, progressbar=False
            )
        )
    except ValueError as exc:  # pooch's hash mismatch: the temporary download is already removed
        actual = _actual_hash_from(str(exc))
        raise ChecksumMismatch(source.url, source.sha256, actual) from None
    except Exception as exc:  # network errors come in many types (requests, OSError, …)
        raise SourceError(
            f"source {source.key!r} ({source.path}) is not available: it is not in a mirror folder and "
            f"downloading {source.url} failed ({type(exc).__name__}). Either set {REMEDY}"
        ) from None


def _actual_hash_from(message: str) -> str:
    """Extract the actual hash from pooch's mismatch message (best effort)."""
    for word in message.replace("'", " ").replace('"', " ").split():
        word = word.strip("().,")
        if len(word) == 64 and all(c in "0123456789abcdef" for c in word):
            return word
    return "unknown"
