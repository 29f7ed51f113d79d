"""Flask CLI commands of the original design, plus schema management."""

from __future__ import annotations

import click
from flask import Flask

from domain import schema
from domain.models import Role, User
from domain.services.chargers import create_seed_chargers
from domain.services.id_tags import DEMO_ID_TAG, ensure_demo_id_tag
from domain.services.users import provision_user, seed_admin
from web.auth import issue_tokens
from web.extensions import database, settings

DEMO_WARNING = (
    "WARNING: embedded default: user 'admin' has the well-known password 'admin'. "
    "It is for a demo on this machine only; with PostgreSQL or Redis no such user is made."
)


def register_cli(app: Flask) -> None:
    @app.cli.command("db-upgrade")
    def db_upgrade() -> None:
        """Apply every migration to DATABASE_URL."""
        schema.upgrade(database().url)
        click.echo("database is at the latest schema")

    @app.cli.command("create-chargers")
    def create_chargers() -> None:
        """Create charger_1..3 (Tagmo3, Zayed, Shrouk) with connector_1 and connector_2, and,
        on the embedded default only, the simulator's Accepted demo idTag (a well-known tag
        that charges for free has no place on a production network)."""
        demo = settings().embedded_default
        with database().unit_of_work() as session:
            created = create_seed_chargers(session)
            demo_tag = ensure_demo_id_tag(session) if demo else False
        click.echo(f"created: {', '.join(created)}" if created else "seed chargers already exist")
        if demo_tag:
            click.echo(f"created the demo idTag {DEMO_ID_TAG} (the simulator's default)")
        elif not demo:
            click.echo(f"no demo idTag {DEMO_ID_TAG} outside the embedded default")

    @app.cli.command("create-user")
    @click.option("--username", default="admin", show_default=True)
    @click.option(
        "--password", default=None, help="Default: a strong one, generated and printed once."
    )
    @click.option("--role", type=click.Choice([r.value for r in Role]), default=Role.ADMIN.value)
    def create_user(username: str, password: str | None, role: str) -> None:
        """Create a user if missing and print an access and a refresh token for it."""
        with database().unit_of_work() as session:
            lines = _credentials(*provision_user(session, username, password, role))
        click.echo("\n".join(lines))  # after the commit: a printed password works

    @app.cli.command("seed-admin")
    def seed_admin_user() -> None:
        """The admin bin/serve starts with: admin/admin on the embedded default only (with a
        warning); elsewhere a generated password, printed once."""
        demo = settings().embedded_default
        with database().unit_of_work() as session:
            lines = _credentials(*seed_admin(session, embedded=demo))
        click.echo("\n".join(lines))
        if demo:
            click.echo(DEMO_WARNING, err=True)


def _credentials(user: User, generated: str | None) -> list[str]:
    """The lines to print for `user`: its generated password, if any, and a token pair."""
    access, refresh = issue_tokens(user)
    lines = [f"JWT Access Token >>>>   {access}", f"JWT Refresh Token >>>>   {refresh}"]
    if generated is not None:
        lines.insert(0, f"Generated password for {user.username} (shown once) >>>>   {generated}")
    return lines
