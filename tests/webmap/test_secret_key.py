"""The session key file (issue 13, finding 8): created atomically, an empty one regenerated, 0600."""

from __future__ import annotations

import errno
import os
import stat
import threading

import pytest

from tests.backends import app_config
from webmap import auth, create_app


@pytest.fixture
def config(tiny_store, monkeypatch):
    monkeypatch.delenv("BAMAKO_ATLAS_SECRET_KEY", raising=False)
    return app_config(tiny_store)


def key_file(config) -> os.PathLike:
    return auth.data_folder(create_app(config)) / "secret_key"


def test_an_empty_key_file_is_regenerated_and_login_works(config):
    path = key_file(config)
    path.write_text("")  # what a full disk left behind
    app = create_app(config)
    assert app.test_client().get("/login").status_code == 200
    key = path.read_text().strip()
    assert len(key) == 64 and auth.secret_key(app) == key
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_full_disk_leaves_no_key_file_and_the_next_try_writes_one(config, monkeypatch):
    real_fsync = os.fsync

    def full(_fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(auth.os, "fsync", full)
    app = create_app(config)
    assert app.test_client().get("/login").status_code == 200  # this process signs with a key of its own
    folder = key_file(config).parent
    assert list(folder.glob("*secret_key*")) == []  # neither an empty key file nor a temporary one
    monkeypatch.setattr(auth.os, "fsync", real_fsync)
    assert len(auth.secret_key(create_app(config))) == 64
    assert key_file(config).read_text().strip()


def test_concurrent_first_sign_ins_agree_on_one_key(config):
    apps = [create_app(config) for _ in range(8)]
    keys: list[str] = []
    threads = [threading.Thread(target=lambda a=a: keys.append(auth.secret_key(a))) for a in apps]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(keys)) == 1 and keys[0] == key_file(config).read_text().strip()
