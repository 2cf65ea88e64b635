"""``bamako-atlas users …``: planner accounts and API tokens."""

from __future__ import annotations

import sys

import click

from geo.errors import InvalidParameter, UserNotFound
from geo.planning import accounts
from geo.planning.edits.db import edits_path
from webmap.cli.settings import current_settings

STATE = {False: "actif", True: "désactivé"}


@click.group("users")
def users() -> None:
    """Manage planner accounts and their API tokens."""


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        line = sys.stdin.readline()
        password = line.rstrip("\r\n")
        if not password:
            raise InvalidParameter("--password-stdin", "standard input gave no password line")
    else:
        password = click.prompt("Mot de passe", hide_input=True, confirmation_prompt="Répétez le mot de passe")
    return accounts.check_password(password)


@users.command("add")
@click.argument("name")
@click.option(
    "--role", type=click.Choice(accounts.ROLES), default="editor", show_default=True, help="Rights of the account."
)
@click.option("--password-stdin", is_flag=True, help="Read the password from one line of standard input (scripts).")
def add_cmd(name: str, role: str, password_stdin: bool) -> None:
    """Create the account NAME (password asked twice, without echo)."""
    accounts.check_name(name)
    user = accounts.create_user(edits_path(current_settings()), name, role, _read_password(password_stdin))
    click.echo(f"Compte créé : {user.name} ({user.role})")


@users.command("list")
def list_cmd() -> None:
    """List the accounts, their role, state and active tokens."""
    db = edits_path(current_settings())
    rows = accounts.list_users(db)
    if not rows:
        click.echo("Aucun compte (créez-en un : bamako-atlas users add NOM --role editor)")
        return
    active: dict[str, int] = {}
    for token in accounts.list_tokens(db):
        if token.revoked_at is None:
            active[token.user] = active.get(token.user, 0) + 1
    click.echo(f"{'nom':<24} {'rôle':<7} {'état':<10} {'jetons':>6}  créé le")
    for user in rows:
        click.echo(
            f"{user.name:<24} {user.role:<7} {STATE[user.disabled]:<10} {active.get(user.name, 0):>6}  {user.created_at}"
        )


@users.command("disable")
@click.argument("name")
def disable_cmd(name: str) -> None:
    """Disable the account NAME (sign-in, sessions and tokens refused)."""
    user = accounts.disable_user(edits_path(current_settings()), name)
    click.echo(f"Compte désactivé : {user.name}")


@users.command("enable")
@click.argument("name")
def enable_cmd(name: str) -> None:
    """Enable the account NAME again."""
    user = accounts.enable_user(edits_path(current_settings()), name)
    click.echo(f"Compte réactivé : {user.name}")


@users.command("password")
@click.argument("name")
@click.option("--password-stdin", is_flag=True, help="Read the password from one line of standard input (scripts).")
def password_cmd(name: str, password_stdin: bool) -> None:
    """Change the password of the account NAME (its sessions are ended)."""
    db = edits_path(current_settings())
    if accounts.get_user(db, name) is None:  # say so before prompting
        raise UserNotFound(f"no user named {name!r}")
    user = accounts.set_password(db, name, _read_password(password_stdin))
    click.echo(f"Mot de passe changé : {user.name}")


@users.command("role")
@click.argument("name")
@click.argument("role", type=click.Choice(accounts.ROLES))
def role_cmd(name: str, role: str) -> None:
    """Give the account NAME the role ROLE (its sessions are ended)."""
    user = accounts.set_role(edits_path(current_settings()), name, role)
    click.echo(f"Rôle changé : {user.name} ({user.role})")


@users.command("token")
@click.argument("name")
@click.option("--list", "list_only", is_flag=True, help="List NAME's tokens (by prefix) instead of issuing one.")
def token_cmd(name: str, list_only: bool) -> None:
    """Issue an API token for NAME (header "Authorization: Bearer …"); it is shown only once."""
    db = edits_path(current_settings())
    if list_only:
        for t in accounts.list_tokens(db, name):
            state = f"révoqué le {t.revoked_at}" if t.revoked_at else "actif"
            click.echo(f"{t.prefix}…  créé le {t.created_at}  dernier usage {t.last_used or '—'}  {state}")
        return
    token = accounts.issue_token(db, name)
    click.echo("Jeton créé ; conservez-le maintenant, il ne sera plus affiché :", err=True)
    click.echo(token)
    click.echo(f"Pour le révoquer : bamako-atlas users revoke-token {token[: accounts.TOKEN_PREFIX_LENGTH]}", err=True)


@users.command("revoke-token")
@click.argument("token_prefix")
def revoke_token_cmd(token_prefix: str) -> None:
    """Revoke the token starting with TOKEN_PREFIX (at least 6 characters, or the whole token)."""
    info = accounts.revoke_token(edits_path(current_settings()), token_prefix)
    click.echo(f"Jeton révoqué : {info.prefix}… ({info.user})")
