"""`/` links to the dashboard and to Swagger UI; `/dashboard` serves the page.

The page holds no data and no secrets: its script logs in through the JWT endpoints and
reads everything else from the REST API with the operator's own token.
"""

from __future__ import annotations

from flask import Blueprint, render_template

blueprint = Blueprint("dashboard", __name__)


@blueprint.get("/")
def home():
    return render_template("home.html")


@blueprint.get("/dashboard")
def dashboard():
    return render_template("dashboard.html")
