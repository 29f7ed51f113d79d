"""Flask CLI commands of the original design, plus schema management."""

from __future__ import annotations

import click
from flask import Flask

from domain import schema
from domain.models import Role
from domain.services.chargers import create_seed_chargers
from domain.services.id_tags import DEMO_ID_TAG, ensure_demo_id_tag
from domain.services.users import ensure_user
from web.auth import issue_tokens
from web.extensions import database


def register_cli(app: Flask) -> None:
    @app.cli.command("db-upgrade")
    def db_upgrade() -> None:
        """Apply every migration to DATABASE_URL."""
        schema.upgrade(database().url)
        click.echo("database is at the latest schema")

    @app.cli.command("create-chargers")
    def create_chargers() -> None:
        """Create charger_1..3 (Tagmo3, Zayed, Shrouk) with connector_1 and connector_2, and
        the simulator's Accepted demo idTag."""
        with database().unit_of_work() as session:
            created = create_seed_chargers(session)
            demo_tag = ensure_demo_id_tag(session)
        click.echo(f"created: {', '.join(created)}" if created else "seed chargers already exist")
        if demo_tag:
            click.echo(f"created the demo idTag {DEMO_ID_TAG} (the simulator's default)")

    @app.cli.command("create-user")
    @click.option("--username", default="admin", show_default=True)
    @click.option("--password", default="admin", show_default=True)
    @click.option("--role", type=click.Choice([r.value for r in Role]), default=Role.ADMIN.value)
    def create_user(username: str, password: str, role: str) -> None:
        """Create a user if missing and print an access and a refresh token for it."""
        with database().unit_of_work() as session:
            user = ensure_user(session, username, password, role)
            access, refresh = issue_tokens(user)
        click.echo(f"JWT Access Token >>>>   {access}")
        click.echo(f"JWT Refresh Token >>>>   {refresh}")
