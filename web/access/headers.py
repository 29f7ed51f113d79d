"""Security headers on every HTTP answer: the dashboard and the API.

The dashboard's policy allows scripts, styles and connections from this origin only (no
inline script or style, no eval); Swagger UI (/api/docs) gets the same but for inline
styles, which its React components set. No page may be framed (clickjacking), content types
are not sniffed, and no Referer leaves the site (URLs may name chargers and users).
"""

from __future__ import annotations

from flask import Flask, Response, request

DOCS_PATH = "/api/docs"

_COMMON = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "connect-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'none'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}


def _policy(**overrides: str) -> str:
    return "; ".join(f"{name} {value}" for name, value in {**_COMMON, **overrides}.items())


CONTENT_SECURITY_POLICY = _policy()
DOCS_CONTENT_SECURITY_POLICY = _policy(**{"style-src": "'self' 'unsafe-inline'"})

HEADERS = {
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def content_security_policy(path: str) -> str:
    """The policy for a request path: Swagger UI's pages get theirs, everything else the
    dashboard's."""
    return DOCS_CONTENT_SECURITY_POLICY if path.startswith(DOCS_PATH) else CONTENT_SECURITY_POLICY


def init_security_headers(app: Flask) -> None:
    @app.after_request
    def add_security_headers(response: Response) -> Response:
        policy = content_security_policy(request.path)
        for name, value in {"Content-Security-Policy": policy, **HEADERS}.items():
            response.headers.setdefault(name, value)
        return response
