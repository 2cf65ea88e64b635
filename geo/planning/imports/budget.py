"""Read and preview an upload in a child process under a hard time and memory budget.

:func:`parse_and_preview` runs :func:`geo.planning.imports.parse_upload` and
:func:`geo.planning.imports.preview` in a process forked from a
``multiprocessing`` fork server (started once per process, with this module
preloaded, so each import costs a fork, not a fresh interpreter). The child
lives under ``RLIMIT_AS`` (memory, above what the libraries hold) and
``RLIMIT_CPU`` (a backstop); the parent waits at most the wall-clock budget,
then kills it. Its temporary files
go to a folder the parent removes whatever happened. A blown budget is an
``InvalidParameter("file", …)`` with code ``import_too_slow``,
``import_too_large_in_memory`` or ``import_reader_crashed``.
"""

from __future__ import annotations

import logging
import math
import multiprocessing
import os
import resource
import shutil
import signal
import tempfile
import time
import traceback
from dataclasses import dataclass
from typing import Any

import geopandas as gpd

from geo.errors import InvalidParameter
from geo.planning.imports.parse import parse_upload
from geo.planning.imports.preview import Preview, preview
from geo.planning.imports.readers import file_error
from geo.settings import Settings, resolve

log = logging.getLogger(__name__)

#: Fork server context: forking a threaded web worker directly could copy a held lock into the child.
_CONTEXT = multiprocessing.get_context("forkserver")
_CONTEXT.set_forkserver_preload([__name__])

#: CPU seconds the child may spend past the wall-clock budget before the kernel stops it (a backstop).
_CPU_MARGIN_S = 2


@dataclass(frozen=True)
class Budget:
    """Limits of one import's parse + preview: wall-clock seconds and memory (MB of address space).

    The memory budget is counted above what the reader process holds before
    reading (its libraries and thread stacks, which vary by platform).
    """

    seconds: float
    memory_mb: int

    @classmethod
    def from_settings(cls, settings: Settings | None = None) -> Budget:
        """Return the budget of settings ``IMPORT_SECONDS`` and ``IMPORT_MEMORY_MB``."""
        settings = resolve(settings)
        budget = cls(float(settings["IMPORT_SECONDS"]), int(settings["IMPORT_MEMORY_MB"]))
        if not budget.seconds > 0:
            raise InvalidParameter("IMPORT_SECONDS", f"must be above 0, got {budget.seconds!r}")
        if budget.memory_mb <= 0:
            raise InvalidParameter("IMPORT_MEMORY_MB", f"must be above 0, got {budget.memory_mb!r}")
        return budget


class ImportReaderError(RuntimeError):
    """The child process failed on an unexpected error (a bug, not the file); its traceback is logged."""


def _limit(kind: int, value: int) -> None:
    """Lower resource ``kind`` to ``value`` (never above the hard limit already set)."""
    _, hard = resource.getrlimit(kind)
    value = value if hard == resource.RLIM_INFINITY else min(value, hard)
    resource.setrlimit(kind, (value, value if kind != resource.RLIMIT_CPU else hard))


def _address_space() -> int:
    """Return this process's address space in bytes (Linux; 0 elsewhere): libraries and thread stacks."""
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[0]) * resource.getpagesize()
    except (OSError, ValueError, IndexError):
        return 0


def _child(conn: Any, workdir: str, budget: Budget, kwargs: dict[str, Any]) -> None:
    """Parse and preview under the limits; send ``("ok", Preview)``, ``("invalid", …)`` or a failure."""
    _limit(resource.RLIMIT_CPU, math.ceil(budget.seconds) + _CPU_MARGIN_S)
    _limit(resource.RLIMIT_AS, _address_space() + budget.memory_mb * 1024 * 1024)
    tempfile.tempdir = workdir  # the readers' (and GDAL's) temporary files land where the parent cleans up
    os.environ["CPL_TMPDIR"] = workdir
    existing = kwargs.pop("existing")
    try:
        try:
            message: tuple = ("ok", preview(parse_upload(**kwargs), existing))
        except InvalidParameter as exc:
            message = ("invalid", exc.parameter, exc.message, exc.code)
        conn.send(message)
    except MemoryError:
        message = existing = kwargs = None  # free what we can, to be able to say why
        conn.send(("memory",))
    except Exception:  # a bug: the parent logs it and fails like the in-process call would
        conn.send(("error", traceback.format_exc()))
    finally:
        conn.close()


def _too_slow(filename: str, budget: Budget) -> InvalidParameter:
    return file_error(
        "import_too_slow",
        f"{filename}: reading and checking the file took more than {budget.seconds:g} s "
        "(setting IMPORT_SECONDS); split it",
    )


def _too_large(filename: str, budget: Budget) -> InvalidParameter:
    return file_error(
        "import_too_large_in_memory",
        f"{filename}: reading the file needs more than {budget.memory_mb} MB of memory "
        "(setting IMPORT_MEMORY_MB); split it",
    )


def parse_and_preview(
    data: bytes,
    filename: str,
    *,
    quartiers: gpd.GeoDataFrame,
    existing: gpd.GeoDataFrame | None,
    crs: str | None = None,
    layer: str | None = None,
    target: str = "facilities",
    budget: Budget | None = None,
    settings: Settings | None = None,
) -> Preview:
    """Return the preview of an upload, read in a child process under ``budget``.

    Parameters
    ----------
    data, filename, quartiers, crs, layer, target
        As for :func:`geo.planning.imports.parse_upload`.
    existing
        Facilities as they are now (EPSG:4326), as for :func:`geo.planning.imports.preview`.
    budget
        Time (wall-clock seconds) and memory (MB of address space the child may
        add to its libraries'); default: :meth:`Budget.from_settings` of ``settings``.

    Raises
    ------
    InvalidParameter
        Parameter ``"file"``: the reader's own codes, or ``import_too_slow``,
        ``import_too_large_in_memory``, ``import_reader_crashed``.
    ImportReaderError
        An unexpected error in the reader (logged with its traceback).
    """
    budget = budget or Budget.from_settings(settings)
    kwargs = {
        "data": data,
        "filename": filename,
        "quartiers": quartiers,
        "crs": crs,
        "layer": layer,
        "target": target,
        "existing": existing,
    }
    workdir = tempfile.mkdtemp(prefix="atlas-import-")
    receiver, sender = _CONTEXT.Pipe(duplex=False)
    child = _CONTEXT.Process(target=_child, args=(sender, workdir, budget, kwargs), daemon=True)
    started = time.monotonic()
    message = None
    try:
        child.start()
        sender.close()
        if not receiver.poll(max(0.0, budget.seconds - (time.monotonic() - started))):
            log.warning("import child %s killed after %.1f s: %s", child.pid, time.monotonic() - started, filename)
            raise _too_slow(filename, budget)
        try:
            message = receiver.recv()
        except EOFError:  # the child died without a word
            message = None
    finally:
        if child.pid is not None:  # started
            if child.is_alive():
                child.kill()
            child.join()
        receiver.close()
        sender.close()
        shutil.rmtree(workdir, ignore_errors=True)
    return _outcome(message, child.exitcode, filename, budget)


def _outcome(message: tuple | None, exitcode: int | None, filename: str, budget: Budget) -> Preview:
    """Turn the child's message (or its silent death with ``exitcode``) into a preview or an error."""
    if message is None:
        if exitcode == -signal.SIGXCPU:  # past RLIMIT_CPU
            raise _too_slow(filename, budget)
        if exitcode == -signal.SIGKILL:  # not by us (we raise before): the kernel's out-of-memory killer
            raise _too_large(filename, budget)
        log.warning("import child died with exit code %s: %s", exitcode, filename)
        raise file_error(
            "import_reader_crashed",
            f"{filename}: the reader stopped on this file (exit code {exitcode}); it may be corrupt or too large",
        )
    kind, *rest = message
    if kind == "ok":
        return rest[0]
    if kind == "invalid":
        parameter, text, code = rest
        raise InvalidParameter(parameter, text, code=code)
    if kind == "memory":
        raise _too_large(filename, budget)
    log.error("import reader failed on %s:\n%s", filename, rest[0])
    raise ImportReaderError(f"reading {filename} failed")
