"""``bamako-atlas users …``: planner accounts and API tokens."""

from __future__ import annotations

import sys

import click

from geo.errors import InvalidParameter, LayerNotFound
from geo.planning import accounts
from geo.planning.edits.db import edits_path

STATE = {False: "actif", True: "désactivé"}


@click.group("users")
def users() -> None:
    """Gérer les comptes des planificateurs et leurs jetons d'API."""


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
    """Créer le compte NAME (mot de passe demandé deux fois, sans écho)."""
    accounts.check_name(name)
    user = accounts.create_user(edits_path(), name, role, _read_password(password_stdin))
    click.echo(f"Compte créé : {user.name} ({user.role})")


@users.command("list")
def list_cmd() -> None:
    """Lister les comptes, leur rôle, leur état et leurs jetons actifs."""
    db = edits_path()
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
    """Désactiver le compte NAME (connexion, sessions et jetons refusés)."""
    user = accounts.disable_user(edits_path(), name)
    click.echo(f"Compte désactivé : {user.name}")


@users.command("enable")
@click.argument("name")
def enable_cmd(name: str) -> None:
    """Réactiver le compte NAME."""
    user = accounts.enable_user(edits_path(), name)
    click.echo(f"Compte réactivé : {user.name}")


@users.command("password")
@click.argument("name")
@click.option("--password-stdin", is_flag=True, help="Read the password from one line of standard input (scripts).")
def password_cmd(name: str, password_stdin: bool) -> None:
    """Changer le mot de passe du compte NAME (ses sessions sont fermées)."""
    db = edits_path()
    if accounts.get_user(db, name) is None:  # say so before prompting
        raise LayerNotFound(f"no user named {name!r}")
    user = accounts.set_password(db, name, _read_password(password_stdin))
    click.echo(f"Mot de passe changé : {user.name}")


@users.command("role")
@click.argument("name")
@click.argument("role", type=click.Choice(accounts.ROLES))
def role_cmd(name: str, role: str) -> None:
    """Donner le rôle ROLE au compte NAME (ses sessions sont fermées)."""
    user = accounts.set_role(edits_path(), name, role)
    click.echo(f"Rôle changé : {user.name} ({user.role})")


@users.command("token")
@click.argument("name")
@click.option("--list", "list_only", is_flag=True, help="List NAME's tokens (by prefix) instead of issuing one.")
def token_cmd(name: str, list_only: bool) -> None:
    """Créer un jeton d'API pour NAME (en-tête « Authorization: Bearer … ») ; il n'est affiché qu'une fois."""
    db = edits_path()
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
    """Révoquer le jeton qui commence par TOKEN_PREFIX (au moins 6 caractères, ou le jeton entier)."""
    info = accounts.revoke_token(edits_path(), token_prefix)
    click.echo(f"Jeton révoqué : {info.prefix}… ({info.user})")
