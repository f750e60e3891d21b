"""Redaction of provider URLs: API keys never reach a terminal, a log or the store."""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

_SECRETISH = re.compile(r"^[A-Za-z0-9_\-]{16,}$")
_SECRET_PARAMS = {"apikey", "api_key", "key", "token", "access_token", "auth", "secret", "password"}


def redact_url(url: str) -> str:
    """Return ``url`` with credentials, key-like path segments and secret query values replaced by ``***``.

    >>> redact_url("https://mainnet.infura.io/v3/0123456789abcdef0123456789abcdef")
    'https://mainnet.infura.io/v3/***'
    """
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<unparseable URL>"
    host = parts.hostname or ""
    try:
        port: int | str | None = parts.port
    except ValueError:  # out of range or not a number: show the text as given
        port = parts.netloc.rpartition(":")[2] or None
    if port:
        host = f"{host}:{port}"
    if parts.username or parts.password:
        host = f"***@{host}"
    segments = ["***" if _SECRETISH.match(seg) else seg for seg in parts.path.split("/")]
    query = urlencode(
        [
            (k, "***" if k.lower() in _SECRET_PARAMS or _SECRETISH.match(v) else v)
            for k, v in parse_qsl(parts.query, keep_blank_values=True)
        ]
    )
    return urlunsplit((parts.scheme, host, "/".join(segments), query, ""))


def scrub(text: str, urls: list[str]) -> str:
    """Replace every occurrence of each full URL (and its secret parts) in ``text`` by its redacted form."""
    for url in urls:
        if url and url in text:
            text = text.replace(url, redact_url(url))
        for secret in _secrets_of(url):
            text = text.replace(secret, "***")
    return text


def _secrets_of(url: str) -> list[str]:
    try:
        parts = urlsplit(url)
    except ValueError:
        return []
    found = [seg for seg in parts.path.split("/") if _SECRETISH.match(seg)]
    if parts.password:
        found.append(parts.password)
    found += [v for k, v in parse_qsl(parts.query) if v and (k.lower() in _SECRET_PARAMS or _SECRETISH.match(v))]
    return found
