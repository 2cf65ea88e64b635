"""A throw-away PostgreSQL + PostGIS cluster for the ``postgis`` tests, and one fresh database per test.

The fixtures are imported by ``tests/conftest.py``, so any test directory can ask for ``pg_url``.

The cluster is made with ``initdb``/``pg_ctl`` in a temporary folder and stopped and removed at the end of the
session. PostgreSQL refuses to run as root: as root it runs as the ``postgres`` system user Debian's package
creates (``runuser``). Tests skip, saying why, only where PostgreSQL or PostGIS is not installed.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

TEMPLATE_DB = "atlas_template"


def _bindir() -> Path | None:
    """Return the folder of PostgreSQL's server programs (newest Debian version first), or None."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parent.parent.name))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Cluster:
    """A running cluster: ``url(dbname)`` connects to one of its databases as the superuser."""

    def __init__(self, bindir: Path, root: Path, port: int, run_as: str | None):
        self.bindir, self.root, self.port, self.run_as = bindir, root, port, run_as

    def run(self, program: str, *args: str) -> None:
        """Run a PostgreSQL program (as the unprivileged user when we are root)."""
        cmd = [str(self.bindir / program), *args]
        if self.run_as:
            cmd = ["runuser", "-u", self.run_as, "--", *cmd]
        subprocess.run(cmd, check=True, capture_output=True, timeout=120)

    def url(self, dbname: str = "postgres") -> str:
        """Return the connection URL of database ``dbname``."""
        return f"postgresql://postgres@127.0.0.1:{self.port}/{dbname}"

    def create_database(self, name: str, *, template: str | None = None) -> str:
        """Create database ``name`` (from ``template``) and return its URL."""
        import psycopg

        with psycopg.connect(self.url(), autocommit=True) as con:
            tmpl = f" TEMPLATE {template}" if template else ""
            con.execute(f'CREATE DATABASE "{name}"{tmpl}')
        return self.url(name)

    def drop_database(self, name: str) -> None:
        """Drop database ``name``, ending its sessions."""
        import psycopg

        with psycopg.connect(self.url(), autocommit=True) as con:
            con.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


class Unavailable(RuntimeError):
    """PostgreSQL or PostGIS cannot be run here (the message says what to install)."""


@contextmanager
def running_cluster() -> Iterator[Cluster]:
    """Start a PostgreSQL cluster with a PostGIS template database, yield it, then stop and remove it."""
    try:
        import psycopg
    except ImportError:
        raise Unavailable("psycopg is not installed (pip install 'psycopg[binary]')") from None
    bindir = _bindir()
    if bindir is None:
        raise Unavailable("PostgreSQL is not installed (Debian: apt-get install postgresql-15 postgresql-15-postgis-3)")
    if not list(Path("/usr/share/postgresql").glob("*/extension/postgis.control")) and not glob.glob(
        str(bindir.parent / "share/extension/postgis.control")
    ):
        raise Unavailable("PostGIS is not installed (Debian: apt-get install postgresql-15-postgis-3)")
    run_as = None
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            raise Unavailable("running as root and there is no 'postgres' user to run PostgreSQL as") from None
        run_as = "postgres"
    root = Path(tempfile.mkdtemp(prefix="atlas-pg-"))
    if run_as:
        shutil.chown(root, user=run_as)
    data, port = root / "data", _free_port()
    cluster = Cluster(bindir, root, port, run_as)
    try:
        cluster.run("initdb", "-D", str(data), "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-sync")
        options = f"-c listen_addresses=127.0.0.1 -p {port} -k {root} -c fsync=off -c full_page_writes=off"
        cluster.run("pg_ctl", "-D", str(data), "-o", options, "-l", str(root / "log"), "-w", "start")
        try:
            cluster.create_database(TEMPLATE_DB)
            with psycopg.connect(cluster.url(TEMPLATE_DB), autocommit=True) as con:
                con.execute("CREATE EXTENSION postgis")
            yield cluster
        finally:
            cluster.run("pg_ctl", "-D", str(data), "-m", "immediate", "-w", "stop")
    finally:
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[Cluster]:
    """Start a PostgreSQL cluster with a PostGIS template database for the session; skip where there is none."""
    try:
        with running_cluster() as cluster:
            yield cluster
    except Unavailable as exc:
        pytest.skip(str(exc))


@pytest.fixture
def pg_url(pg_cluster: Cluster) -> Iterator[str]:
    """Return the URL of a fresh PostGIS database for one test, dropped afterwards."""
    name = f"atlas_{uuid.uuid4().hex[:12]}"
    url = pg_cluster.create_database(name, template=TEMPLATE_DB)
    yield url
    pg_cluster.drop_database(name)
