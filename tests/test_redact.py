"""Provider URLs never show their keys."""

from __future__ import annotations

from trailscan.redact import redact_url, scrub

KEY = "0123456789abcdef0123456789abcdef"


def test_keys_in_paths_queries_and_credentials_are_hidden() -> None:
    assert redact_url(f"https://mainnet.infura.io/v3/{KEY}") == "https://mainnet.infura.io/v3/***"
    assert redact_url(f"https://eth-mainnet.g.alchemy.com/v2/{KEY}") == "https://eth-mainnet.g.alchemy.com/v2/***"
    assert redact_url(f"https://rpc.example/?apikey={KEY}&chain=1") == "https://rpc.example/?apikey=%2A%2A%2A&chain=1"
    assert redact_url("https://user:hunter2@node.example:8545/rpc") == "https://***@node.example:8545/rpc"
    assert redact_url("http://127.0.0.1:8545") == "http://127.0.0.1:8545"


def test_scrub_removes_every_secret_from_text() -> None:
    url = f"https://user:hunter2@node.example/v2/{KEY}?token=abc"
    text = f"failed: {url} and again {KEY} hunter2"
    cleaned = scrub(text, [url])
    assert KEY not in cleaned and "hunter2" not in cleaned
