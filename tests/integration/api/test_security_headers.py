"""Security headers on the dashboard, the API and the docs: a Content-Security-Policy without
inline script, no framing, no sniffing, no Referer; and pages that need no inline code."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

PATHS = ["/", "/dashboard", "/api/docs", "/api/openapi.json", "/api/chargers/", "/nowhere"]


def directives(policy: str) -> dict[str, list[str]]:
    parts = (part.split() for part in policy.split(";") if part.strip())
    return {name: values for name, *values in parts}


@pytest.mark.parametrize("path", PATHS)
def test_every_answer_carries_the_security_headers(client, path):
    answer = client.get(path)
    policy = directives(answer.headers["Content-Security-Policy"])
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["script-src"] == ["'self'"]  # no inline script, no eval
    assert policy["object-src"] == ["'none'"] and policy["base-uri"] == ["'none'"]
    assert policy["default-src"] == ["'self'"]
    assert answer.headers["X-Frame-Options"] == "DENY"
    assert answer.headers["X-Content-Type-Options"] == "nosniff"
    assert answer.headers["Referrer-Policy"] == "no-referrer"


def test_only_swagger_ui_may_use_inline_styles(client):
    docs = directives(client.get("/api/docs").headers["Content-Security-Policy"])
    dashboard = directives(client.get("/dashboard").headers["Content-Security-Policy"])
    assert docs["style-src"] == ["'self'", "'unsafe-inline'"]
    assert dashboard["style-src"] == ["'self'"]


def test_a_refused_login_and_a_post_carry_them_too(client):
    answer = client.post("/api/token/", json={"username": "nobody", "password": "wrong-one"})
    assert answer.status_code == 401
    assert "frame-ancestors 'none'" in answer.headers["Content-Security-Policy"]
    assert answer.headers["X-Frame-Options"] == "DENY"


class InlineCode(HTMLParser):
    """Collects what a script-src 'self' / style-src 'self' policy would refuse."""

    def __init__(self):
        super().__init__()
        self.found: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        names = {name for name, _ in attrs}
        self.found += [f"{tag} {name}=" for name in names if name.startswith("on")]
        if "style" in names:
            self.found.append(f"{tag} style=")
        if tag == "style":
            self.found.append("<style>")
        if tag == "script":
            self._in_script = True
            if "src" not in names:
                self.found.append("<script> without src")

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False

    def handle_data(self, data):
        if self._in_script and data.strip():
            self.found.append("inline script text")


@pytest.mark.parametrize("path", ["/", "/dashboard", "/api/docs"])
def test_the_pages_hold_no_inline_script_handler_or_style(client, path):
    parser = InlineCode()
    parser.feed(client.get(path).get_data(as_text=True))
    assert parser.found == []
