"""Pin the relative imports of the app's own ES modules to content-versioned URLs.

The page loads a module script at ``…/atlas.js?v=<hash>``; its ``import … from
"./lib/dom.js"`` would fetch an unversioned URL, cached only briefly and
possibly from another release. Each relative import is therefore rewritten to
``"./lib/dom.js?v=<hash>"`` when the file is loaded, with the same version as
``asset_url`` gives, so every module is cached for a year, a module imported by
two scripts is one instance, and a change to a dependency changes the hash of
every module that imports it. No bundler: the sources stay as written.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable
from contextvars import ContextVar

#: ``from "./x.js"``, ``import "./x.js"`` (also ``export … from``): a relative specifier of a static import.
IMPORT = re.compile(rb"""(\b(?:from|import)\s*)(["'])(\.{1,2}/[^"'?#\s]+\.js)\2""")

_pinning: ContextVar[tuple[str, ...]] = ContextVar("pinning", default=())


class ModuleGraphError(ValueError):
    """An own module imports a file that is missing or imports itself through others."""


def imports(body: bytes, filename: str) -> list[str]:
    """Return the bundle paths of the modules that module ``filename`` imports statically."""
    folder = posixpath.dirname(filename)
    out = []
    for match in IMPORT.finditer(body):
        path = posixpath.normpath(posixpath.join(folder, match.group(3).decode()))
        if path.startswith("../"):
            raise ModuleGraphError(f"{filename}: imports {match.group(3).decode()}, outside the static folder")
        out.append(path)
    return out


def pin_imports(body: bytes, filename: str, version: Callable[[str], str]) -> bytes:
    """Return module ``body`` with each relative import given ``?v=`` + ``version(bundle path of the import)``."""
    chain = _pinning.get()
    if filename in chain:
        raise ModuleGraphError("import cycle: " + " → ".join((*chain[chain.index(filename) :], filename)))
    targets = iter(imports(body, filename))
    token = _pinning.set((*chain, filename))
    try:
        return IMPORT.sub(
            lambda m: m.group(1) + m.group(2) + m.group(3) + b"?v=" + version(next(targets)).encode() + m.group(2), body
        )
    finally:
        _pinning.reset(token)


def dependencies(filename: str, read: Callable[[str], bytes]) -> list[str]:
    """Return every module that module ``filename`` imports, directly or not, each once (``read`` gives a source)."""
    out: list[str] = []

    def visit(name: str, chain: tuple[str, ...]) -> None:
        for dep in imports(read(name), name):
            if dep in chain:
                raise ModuleGraphError("import cycle: " + " → ".join((*chain[chain.index(dep) :], dep)))
            if dep not in out:
                visit(dep, (*chain, dep))
                out.append(dep)

    visit(filename, (filename,))
    return out
