"""The trace report as one self-contained HTML page: no script, font or style from the network, nothing that
runs. Every value that came from the chain or a label file is escaped; addresses and hashes are in the page
in full (shortened only on screen), so a search of the saved page finds them."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from fractions import Fraction
from html import escape
from typing import Any

from .. import __version__
from ..tracing.model import Amount, Endpoint, TraceResult, fraction_text
from .flowgraph import COLOURS, to_dot, to_svg

EXPLORERS = {
    "eip155:1": "https://etherscan.io", "eip155:10": "https://optimistic.etherscan.io",
    "eip155:56": "https://bscscan.com", "eip155:137": "https://polygonscan.com", "eip155:8453": "https://basescan.org",
    "eip155:42161": "https://arbiscan.io", "eip155:43114": "https://snowtrace.io",
}
# explorers whose transaction and address pages are not at /tx/ and /address/
OTHER_EXPLORERS = {
    "solana:mainnet": ("https://solscan.io/tx/{}", "https://solscan.io/account/{}"),
    "tron:mainnet": ("https://tronscan.org/#/transaction/{}", "https://tronscan.org/#/address/{}"),
    "cosmos:akashnet-2": ("https://www.mintscan.io/akash/tx/{}", "https://www.mintscan.io/akash/address/{}"),
}

CSS = """
body{font-family:system-ui,Helvetica,Arial,sans-serif;margin:24px;color:#1b1b1b;max-width:1400px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #ddd}
h2.leg{font-size:19px;border-bottom:3px solid #263238}h3{font-size:15px;margin:20px 0 6px}
.answer{font-size:15px;background:#f3f6f9;padding:10px 14px;border-left:4px solid #263238;margin:12px 0}
table{border-collapse:collapse;font-size:12px;width:100%}th,td{border:1px solid #ddd;padding:4px 6px;
text-align:left;vertical-align:top}th{background:#fafafa}td.num{text-align:right;white-space:nowrap}
code.full{display:inline-block;max-width:150px;overflow:hidden;text-overflow:ellipsis;white-space:nowrap;
vertical-align:bottom}code.full:hover{max-width:none}
.chip{display:inline-block;padding:1px 6px;border-radius:8px;color:#fff;font-size:11px}
.graph{overflow:auto;border:1px solid #ddd;padding:8px}.graph svg{max-width:100%;height:auto}
.muted{color:#666}pre{font-size:11px;background:#fafafa;padding:8px;overflow:auto}
"""


def _e(value: Any) -> str:
    return escape("" if value is None else str(value), quote=True)


def _full(value: str, link: str | None = None) -> str:
    """The whole value in the page (copyable, searchable), shortened on screen by CSS."""
    code = f'<code class="full" title="{_e(value)}">{_e(value)}</code>'
    return f'<a href="{_e(link)}">{code}</a>' if link else code


def _tx_link(chain: str, tx: str) -> str | None:
    base = EXPLORERS.get(chain)
    if chain in OTHER_EXPLORERS:
        return OTHER_EXPLORERS[chain][0].format(tx)
    return f"{base}/tx/{tx}" if base else None


def _address_link(chain: str, address: str) -> str | None:
    base = EXPLORERS.get(chain)
    if chain in OTHER_EXPLORERS and not address.startswith("c-"):
        return OTHER_EXPLORERS[chain][1].format(address)
    return f"{base}/address/{address}" if base and address.startswith("0x") else None


def _money(amounts: list[Amount]) -> str:
    return "<br>".join(f"{_e(fraction_text(a.raw, a.asset.decimals, 6))} {_e(a.asset.symbol)}" for a in amounts)


def _chip(category: str | None) -> str:
    if not category:
        return ""
    return f'<span class="chip" style="background:{COLOURS.get(category, "#607d8b")}">{_e(category)}</span>'


def _chart(result: TraceResult) -> str:
    """Exposure by actor as horizontal bars (USD where known), drawn as inline SVG."""
    groups = result.by_actor()
    valued = [g for g in groups if g["usd"]]
    if not groups:
        return '<p class="muted">No labeled entity was reached.</p>'
    top = max((Fraction(g["usd"]) for g in valued), default=Fraction(1)) or Fraction(1)
    rows = []
    for i, g in enumerate(groups):
        y = 8 + i * 26
        width = int(420 * Fraction(g["usd"]) / top) if g["usd"] else 0
        amount = f'{g["usd"]} USD' if g["usd"] else "; ".join(f'{a["amount"]} {a["symbol"]}' for a in g["amounts"])
        colour = COLOURS.get(g["category"], "#607d8b")
        rows.append(f'<text x="0" y="{y + 13}" font-size="12">{_e(g["actor"])[:40]} ({_e(g["category"])})</text>'
                    f'<rect x="300" y="{y}" width="{max(width, 2)}" height="18" fill="{colour}"/>'
                    f'<text x="{306 + width}" y="{y + 13}" font-size="12">{_e(amount)}</text>')
    height = 16 + 26 * len(groups)
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="900" height="{height}" role="img" '
            f'aria-label="exposure by actor">{"".join(rows)}</svg>')


def _labels(e: Endpoint) -> str:
    out = []
    for lab in e.labels:
        out.append(f"{_e(lab.label)} {_chip(lab.category)} <span class=\"muted\">confidence {lab.confidence}, "
                   f"{_e(lab.how)}; source: {_e(lab.source)}</span>")
    if e.cluster:
        links = ", ".join(f"{_e(k)} {v}" for k, v in e.cluster_evidence.items())
        out.append(f'<span class="muted">cluster {_e(e.cluster)} of {len(e.addresses)} addresses; links: '
                   f"{links}</span>")
    return "<br>".join(out)


def _endpoints(result: TraceResult, ends: list[Endpoint]) -> str:
    chain = result.query["chain"]
    rows = []
    for e in ends:
        addresses = "<br>".join(_full(a, _address_link(chain, a)) for a in e.addresses)
        share = f"{fraction_text(e.share * 100, 0, 2)} %" if e.share is not None else ""
        usd = fraction_text(e.usd, 0, 2) if e.usd is not None else ""
        rows.append(f"<tr><td>{_e(e.actor or '')}</td><td>{_chip(e.category)}</td><td class=\"num\">"
                    f"{_money(e.amounts)}</td><td class=\"num\">{_e(usd)}</td><td class=\"num\">{share}</td>"
                    f"<td class=\"num\">{e.min_hops}</td><td>{'direct' if e.direct else 'indirect'}</td>"
                    f"<td>{_e(e.reason)}</td><td>{addresses}</td><td>{_labels(e)}</td></tr>")
    head = ("<tr><th>actor</th><th>category</th><th>traced</th><th>USD</th><th>share</th><th>hops</th>"
            "<th></th><th>stopped</th><th>addresses</th><th>labels and evidence</th></tr>")
    return f"<table>{head}{''.join(rows)}</table>" if rows else '<p class="muted">None.</p>'


def _paths(result: TraceResult) -> str:
    chain = result.query["chain"]
    rows = []
    for e in (result.exposure + result.unlabeled)[:25]:
        for n, path in enumerate(e.paths, 1):
            for i, h in enumerate(path, 1):
                when = dt.datetime.fromtimestamp(h.time, dt.UTC).strftime("%Y-%m-%d %H:%M") if h.time else ""
                rows.append(f"<tr><td>{_e(e.actor or e.node)}</td><td class=\"num\">{n}</td><td class=\"num\">{i}"
                            f"</td><td class=\"num\">{h.block}</td><td>{_e(when)}</td>"
                            f"<td>{_full(h.sender, _address_link(chain, h.sender))}</td>"
                            f"<td>{_full(h.receiver, _address_link(chain, h.receiver))}</td>"
                            f"<td class=\"num\">{_money([h.amount])}</td>"
                            f"<td>{_full(h.tx_hash, _tx_link(chain, h.tx_hash))} <span class=\"muted\">"
                            f"{_e(h.locator)}</span></td></tr>")
    head = ("<tr><th>endpoint</th><th>path</th><th>hop</th><th>block</th><th>time (UTC)</th><th>from</th>"
            "<th>to</th><th>traced</th><th>transaction</th></tr>")
    return f"<table>{head}{''.join(rows)}</table>" if rows else '<p class="muted">None.</p>'


def render(results: TraceResult | Sequence[TraceResult]) -> str:
    """The whole report: one trace, or a trail's legs across chains (``trace --link``) on one page."""
    legs = [results] if isinstance(results, TraceResult) else list(results)
    first = legs[0]
    q = first.query
    if len(legs) == 1:
        title = f"Trace of {_e(q['address'])}"
        body = _leg(first, "h2")
    else:
        chains = " → ".join(dict.fromkeys(_e(leg.query["chain"]) for leg in legs))
        title = f"Trail of {_e(q['address'])} across {len(legs)} legs ({chains})"
        body = "".join(f'<h2 class="leg">Leg {n}: {_e(leg.query["chain"])}, from {_e(leg.query["address"])}</h2>'
                       f"{_link(leg)}{_leg(leg, 'h3')}" for n, leg in enumerate(legs, 1))
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>trailscan {title[0].lower() + title[1:]}</title><style>{CSS}</style></head><body>
<h1>{title}</h1>
<p class="muted">trailscan {_e(__version__)}; written {_e(dt.datetime.now(dt.UTC).strftime('%Y-%m-%d %H:%M UTC'))}</p>
{body}
</body></html>
"""


def _link(leg: TraceResult) -> str:
    link = leg.query.get("link")
    if not link:
        return ""
    arrived = "; ".join(f"{_e(a['amount'])} {_e(a['symbol'])}" for a in link["arrived"]) or "value"
    when = dt.datetime.fromtimestamp(link["arrived_time"], dt.UTC).strftime("%Y-%m-%d %H:%M UTC") \
        if link.get("arrived_time") is not None else "an unknown time"
    return (f'<p class="answer">{arrived} reached {_full(link["from"])} on {_e(link["from_chain"])} at {when}; '
            f"it continues at {_full(link['to'])} on {_e(link['to_chain'])} (link {_e(link['evidence'])}).</p>")


def _leg(result: TraceResult, h: str) -> str:
    """One trace's sections, under headings of level ``h``."""
    q = result.query
    dot = to_dot(result)
    svg = to_svg(dot)
    graph = (f'<div class="graph">{svg}</div>' if svg else
             '<p class="muted">The flow graph needs Graphviz (<code>dot</code>), which is not installed.</p>')
    window = f"blocks {q.get('since_block') or 'first'} to {q.get('until_block') or 'latest'}"
    traced = "; ".join(f"{_e(fraction_text(a.raw, a.asset.decimals, 6))} {_e(a.asset.symbol)}"
                       for a in result.traced) or "nothing"
    question = (f"Wallet {_full(q['address'], _address_link(q['chain'], q['address']))} on {_e(q['chain'])}, "
                f"direction {_e(q['direction'])}, {window}, policy {_e(q['policy'])}, up to {q['hops']} hops, "
                f"{'entities' if q.get('entities') else 'addresses'}; traced value: {traced}.")
    coverage = "".join(f"<li>{_e(c)}</li>" for c in result.coverage) or "<li>nothing missing that trailscan can tell"
    manifest = json.dumps({"query": q, "manifest": result.manifest}, indent=2, sort_keys=True, default=str)
    return f"""<p>{question}</p>
<div class="answer">{_e(result.answer())}</div>
<{h}>Exposure by actor</{h}>{_chart(result)}
<{h}>Flow graph</{h}>{graph}
<{h}>Labeled endpoints</{h}>{_endpoints(result, result.exposure)}
<{h}>Top paths</{h}>{_paths(result)}
<{h}>Largest unlabeled endpoints (leads)</{h}>{_endpoints(result, result.unlabeled)}
<{h}>Coverage</{h}><ul>{coverage}</ul>
<{h}>Reproducibility manifest</{h}><pre>{_e(manifest)}</pre>
"""
