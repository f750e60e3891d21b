"""Read clusters back: which cluster an address is in, its members and labels (with how each was obtained),
and the evidence chain that links two addresses. Small graphs, so networkx answers the path questions."""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass, field
from typing import Any

import networkx as nx

from ..chains import get_chain
from ..errors import AddressError, InputError
from ..labels import LabelSet
from ..store import Store


@dataclass
class LinkStep:
    a: str
    b: str
    heuristic: str
    confidence: int
    evidence: list[dict[str, Any]]
    params: dict[str, Any]

    def as_dict(self) -> dict[str, Any]:
        return {"from": self.a, "to": self.b, "heuristic": self.heuristic, "confidence": self.confidence,
                "params": self.params, "evidence": self.evidence}


@dataclass
class ClusterLabel:
    address: str  # the member that carries it
    label: str
    category: str | None
    actor: str | None
    confidence: int
    how: str  # direct | derived | via-cluster
    source: str  # a tag's source and file, or the heuristic with its evidence transactions
    path: list[LinkStep] = field(default_factory=list)  # via-cluster: the links from the address to the member

    def as_dict(self) -> dict[str, Any]:
        return {"address": self.address, "label": self.label, "category": self.category, "actor": self.actor,
                "confidence": self.confidence, "how": self.how, "source": self.source,
                "path": [s.as_dict() for s in self.path]}


@dataclass
class ClusterView:
    chain: str
    address: str
    cluster_id: str | None
    members: list[str]
    labels: list[ClusterLabel]
    evidence: dict[str, int]  # links per heuristic inside the cluster
    conflicts: list[str]
    reviews: list[dict[str, Any]]  # refused, pending or flagged links touching the address

    @property
    def size(self) -> int:
        return len(self.members)

    def as_dict(self) -> dict[str, Any]:
        return {"chain": self.chain, "address": self.address, "cluster": self.cluster_id, "size": self.size,
                "members": self.members, "labels": [lab.as_dict() for lab in self.labels],
                "evidence": self.evidence, "conflicts": self.conflicts, "reviews": self.reviews}


def locate(store: Store, text: str, chain: str | None) -> list[tuple[str, str]]:
    """(chain key, canonical address) of every stored chain that holds ``text``; an error when none does."""
    keys = [get_chain(chain).key] if chain else [str(r[0]) for r in store.con.execute(
        "SELECT DISTINCT chain FROM transfers UNION SELECT DISTINCT chain FROM clusters ORDER BY 1").fetchall()]
    found: list[tuple[str, str]] = []
    errors: list[AddressError] = []
    for key in keys:
        try:
            address = get_chain(key).address(text)
        except AddressError as exc:
            errors.append(exc)
            continue
        row = store.con.execute(
            "SELECT 1 WHERE EXISTS (SELECT 1 FROM transfers WHERE chain = ? AND (from_address = ? OR to_address = ?))"
            " OR EXISTS (SELECT 1 FROM clusters WHERE chain = ? AND address = ?)",
            [key, address, address, key, address]).fetchall()
        if row:
            found.append((key, address))
    if not found:
        if errors and len(errors) == len(keys):
            raise errors[0]
        if not keys:
            get_chain(chain or 1).address(text)  # a malformed address still gets its own error
        where = f"on {get_chain(chain).name}" if chain else "on any stored chain"
        raise InputError(f"the address {text[:80]} is not in the store {where}",
                         hint="fetch it first ('trailscan fetch --address ...'), or check --store and --chain")
    return found


def _graph(store: Store, chain: str, cluster_id: str) -> nx.Graph:
    """The links inside one cluster; between two addresses the strongest link is the edge."""
    graph: nx.Graph = nx.Graph()
    rows = store.con.execute("""
        SELECT l.a, l.b, l.heuristic, l.confidence, l.evidence, l.params FROM links l
        JOIN clusters ca ON ca.chain = l.chain AND ca.address = l.a
        JOIN clusters cb ON cb.chain = l.chain AND cb.address = l.b
        WHERE l.chain = ? AND ca.cluster_id = ? AND cb.cluster_id = ? AND l.confidence >= ?
        ORDER BY l.confidence, l.heuristic DESC
    """, [chain, cluster_id, cluster_id, min_confidence(store)]).fetchall()
    for a, b, heuristic, confidence, evidence, params in rows:  # weakest first: the strongest is written last
        graph.add_edge(a, b, step=(heuristic, int(confidence), evidence, params))
    return graph


def min_confidence(store: Store) -> int:
    row = store.con.execute("SELECT settings FROM cluster_runs ORDER BY run_id DESC LIMIT 1").fetchall()
    return int(json.loads(row[0][0]).get("min_confidence", 0)) if row else 0


def _steps(graph: nx.Graph, path: list[str]) -> list[LinkStep]:
    steps = []
    for u, v in itertools.pairwise(path):
        heuristic, confidence, evidence, params = graph.edges[u, v]["step"]
        steps.append(LinkStep(u, v, heuristic, confidence, json.loads(evidence), json.loads(params)))
    return steps


def cluster_of(store: Store, labels: LabelSet, chain: str, address: str) -> ClusterView:
    con = store.con
    row = con.execute("SELECT cluster_id FROM clusters WHERE chain = ? AND address = ?", [chain, address]).fetchall()
    cluster_id = str(row[0][0]) if row else None
    members = [address] if cluster_id is None else [str(r[0]) for r in con.execute(
        "SELECT address FROM clusters WHERE chain = ? AND cluster_id = ? ORDER BY address", [chain, cluster_id]
    ).fetchall()]
    graph = _graph(store, chain, cluster_id) if cluster_id else nx.Graph()
    found: list[ClusterLabel] = []
    derived = con.execute(
        "SELECT address, label, category, actor, heuristic, confidence, evidence FROM derived_labels"
        " WHERE chain = ? AND address IN (SELECT UNNEST(?::VARCHAR[])) ORDER BY address, label",
        [chain, members]).fetchall()
    for member, tags in zip(members, labels.lookup_many(chain, members), strict=True):
        for tag in tags:
            found.append(ClusterLabel(member, tag.label, tag.category, tag.actor, tag.confidence, "direct",
                                      f"{tag.source} ({tag.cited})"))
    for member, label, category, actor, heuristic, confidence, evidence in derived:
        txs = ", ".join(dict.fromkeys(e["tx"] for e in json.loads(evidence)))
        found.append(ClusterLabel(member, label, category, actor, int(confidence), "derived",
                                  f"heuristic {heuristic}, transactions {txs}"))
    out: list[ClusterLabel] = []
    for lab in found:
        if lab.address == address:
            out.append(lab)
            continue
        steps = _steps(graph, nx.shortest_path(graph, address, lab.address))
        weakest = min(s.confidence for s in steps)
        out.append(ClusterLabel(lab.address, lab.label, lab.category, lab.actor, lab.confidence * weakest // 100,
                                "via-cluster", f"labeled via cluster {cluster_id}, through "
                                f"{len(steps)} link(s) (weakest {weakest}); the member's label: {lab.source}",
                                steps))
    evidence = {str(h): int(n) for h, n in con.execute(
        "SELECT heuristic, count(*) FROM links l WHERE chain = ? AND a IN (SELECT UNNEST(?::VARCHAR[]))"
        " GROUP BY 1 ORDER BY 1", [chain, members]).fetchall()} if cluster_id else {}
    return ClusterView(chain, address, cluster_id, members, out, evidence, _conflicts(out),
                       reviews(store, chain, [address]))


def _conflicts(found: list[ClusterLabel]) -> list[str]:
    problems = []
    categories = sorted({lab.category for lab in found if lab.category and lab.how != "derived"})
    if len(categories) > 1:
        problems.append("members carry labels of different categories: " + ", ".join(categories))
    actors = sorted({lab.actor for lab in found if lab.actor})
    if len(actors) > 1:
        problems.append("members are attributed to different actors: " + ", ".join(actors))
    return problems


def reviews(store: Store, chain: str, addresses: list[str]) -> list[dict[str, Any]]:
    rows = store.con.execute("""
        SELECT a, b, heuristic, confidence, status, reason, evidence FROM link_reviews
        WHERE chain = ? AND (a IN (SELECT UNNEST(?::VARCHAR[])) OR b IN (SELECT UNNEST(?::VARCHAR[])))
        ORDER BY status, heuristic, a, b
    """, [chain, addresses, addresses]).fetchall()
    return [{"a": a, "b": b, "heuristic": h, "confidence": int(c), "status": s, "reason": r,
             "transactions": list(dict.fromkeys(e["tx"] for e in json.loads(ev)))} for a, b, h, c, s, r, ev in rows]


@dataclass
class Explanation:
    chain: str
    a: str
    b: str
    linked: bool
    cluster_id: str | None
    steps: list[LinkStep]
    reason: str  # when not linked: the nearest reason

    def as_dict(self) -> dict[str, Any]:
        return {"chain": self.chain, "a": self.a, "b": self.b, "linked": self.linked, "cluster": self.cluster_id,
                "steps": [s.as_dict() for s in self.steps], "reason": self.reason}


def explain(store: Store, chain: str, a: str, b: str) -> Explanation:
    """The shortest evidence chain from ``a`` to ``b``, or the nearest reason they are not linked."""
    con = store.con
    ids = dict(con.execute("SELECT address, cluster_id FROM clusters WHERE chain = ? AND address IN (?, ?)",
                           [chain, a, b]).fetchall())
    if a == b:
        return Explanation(chain, a, b, True, ids.get(a), [], "the same address")
    if ids.get(a) is not None and ids.get(a) == ids.get(b):
        graph = _graph(store, chain, str(ids[a]))
        return Explanation(chain, a, b, True, str(ids[a]), _steps(graph, nx.shortest_path(graph, a, b)), "")
    return Explanation(chain, a, b, False, None, [], _nearest_reason(store, chain, a, b, ids))


def _nearest_reason(store: Store, chain: str, a: str, b: str, ids: dict[str, str]) -> str:
    both = [x for x in (a, b)]
    direct = [r for r in reviews(store, chain, both) if {r["a"], r["b"]} == {a, b}]
    if direct:
        r = direct[0]
        return f"a {r['heuristic']} link between them was {r['status']}: {r['reason']}"
    cross = store.con.execute("""
        SELECT r.heuristic, r.status, r.reason FROM link_reviews r
        JOIN clusters ca ON ca.chain = r.chain AND ca.address = r.a
        JOIN clusters cb ON cb.chain = r.chain AND cb.address = r.b
        WHERE r.chain = ? AND ((ca.cluster_id = ? AND cb.cluster_id = ?) OR (ca.cluster_id = ? AND cb.cluster_id = ?))
        LIMIT 1
    """, [chain, ids.get(a), ids.get(b), ids.get(b), ids.get(a)]).fetchall()
    if cross:
        return f"a {cross[0][0]} link between their clusters was {cross[0][1]}: {cross[0][2]}"
    for x in both:
        if x not in ids:
            near = reviews(store, chain, [x])
            if near:
                r = near[0]
                return f"{x} has no accepted link; its nearest candidate ({r['heuristic']}) was {r['status']}: " \
                       f"{r['reason']}"
            return f"{x} has no link to any address (no heuristic found evidence for it)"
    return f"they are in different clusters ({ids[a]} and {ids[b]}) and no evidence joins them"
