"""``bamako-atlas users …``: accounts and tokens from the command line."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from geo.planning import accounts
from geo.planning.edits.pg import is_url
from webmap.cli import main

PASSWORD = "correct horse battery"


@pytest.fixture
def env(tmp_path, blank_db, monkeypatch):
    """Return the environment of the commands: a home, and the session backend's planners' database."""
    monkeypatch.setattr(accounts, "SCRYPT_N", 2**10)
    database = blank_db if is_url(blank_db) else ""
    return {"BAMAKO_ATLAS_HOME": str(tmp_path / "home"), "BAMAKO_ATLAS_DATABASE": database}


def run(env, *args, input=None):
    return CliRunner().invoke(main, ["users", *args], env=env, input=input)


def db(env):
    from pathlib import Path

    return env["BAMAKO_ATLAS_DATABASE"] or Path(env["BAMAKO_ATLAS_HOME"]) / "edits.sqlite"


def test_add_with_password_stdin_then_list(env):
    result = run(env, "add", "awa", "--role", "editor", "--password-stdin", input=PASSWORD + "\n")
    assert result.exit_code == 0, result.output
    assert "awa (editor)" in result.output and PASSWORD not in result.output
    assert accounts.authenticate(db(env), "awa", PASSWORD, address="cli").role == "editor"
    run(env, "add", "admin1", "--role", "admin", "--password-stdin", input=PASSWORD + "\r\n")
    listing = run(env, "list")
    assert listing.exit_code == 0
    lines = listing.output.splitlines()
    assert lines[1].split()[:3] == ["admin1", "admin", "actif"] and lines[2].split()[:3] == ["awa", "editor", "actif"]


def test_add_prompts_twice_without_echo(env):
    result = run(env, "add", "awa", input=f"{PASSWORD}\n{PASSWORD}\n")
    assert result.exit_code == 0, result.output
    assert PASSWORD not in result.output  # hidden input
    assert "Répétez" in result.output
    assert accounts.get_user(db(env), "awa").role == "editor"  # the default role


@pytest.mark.parametrize(
    "args, stdin, words",
    [
        (["add", "awa", "--password-stdin"], "short\n", ["password", "10"]),
        (["add", "awa", "--password-stdin"], "", ["--password-stdin"]),
        (["add", "a b", "--password-stdin"], PASSWORD + "\n", ["name"]),
        (["disable", "nobody"], None, ["nobody"]),
        (["token", "nobody"], None, ["nobody"]),
        (["revoke-token", "abcdefgh"], None, ["no active token"]),
    ],
)
def test_errors_are_one_line_with_exit_2(env, args, stdin, words):
    result = run(env, *args, input=stdin)
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert all(w in result.output for w in words)
    assert "short" not in result.output or "short" in " ".join(words)


def test_duplicate_and_bad_role(env):
    run(env, "add", "awa", "--password-stdin", input=PASSWORD + "\n")
    again = run(env, "add", "AWA", "--password-stdin", input=PASSWORD + "\n")
    assert again.exit_code == 2 and "already exists" in again.output
    bad = run(env, "add", "binta", "--role", "root", "--password-stdin", input=PASSWORD + "\n")
    assert bad.exit_code == 2 and "editor" in bad.output


def test_disable_enable_and_password(env):
    run(env, "add", "awa", "--password-stdin", input=PASSWORD + "\n")
    assert run(env, "disable", "awa").exit_code == 0
    assert "désactivé" in run(env, "list").output
    with pytest.raises(accounts.LoginRefused):
        accounts.authenticate(db(env), "awa", PASSWORD, address="cli")
    assert run(env, "enable", "awa").exit_code == 0
    assert run(env, "password", "awa", "--password-stdin", input="another long password\n").exit_code == 0
    assert accounts.authenticate(db(env), "awa", "another long password", address="cli").name == "awa"


def test_token_printed_once_and_revoked(env):
    run(env, "add", "awa", "--password-stdin", input=PASSWORD + "\n")
    result = CliRunner().invoke(main, ["users", "token", "awa"], env=env)
    assert result.exit_code == 0, result.output
    token = result.stdout.strip()
    assert "\n" not in token and accounts.user_for_token(db(env), token).name == "awa"
    assert "1" in run(env, "list").output.splitlines()[1].split()
    listing = run(env, "token", "awa", "--list")
    assert token[:8] in listing.output and token not in listing.output and "actif" in listing.output
    revoked = run(env, "revoke-token", token[:8])
    assert revoked.exit_code == 0 and "awa" in revoked.output
    assert accounts.user_for_token(db(env), token) is None
