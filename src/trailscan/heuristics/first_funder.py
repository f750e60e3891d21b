"""First funder: whoever sent a fresh address its first native coins (for gas) may control it. Weak."""

from __future__ import annotations

import duckdb

from .base import Heuristic, evidence_item


class FirstFunder(Heuristic):
    NAME = "first-funder"
    HELP = ("The sender of an address's first incoming native transfer, when that address had no record before it. "
            "Weak: faucets, exchanges and payroll fund strangers; off by default.")
    CONFIDENCE = 20
    REFERENCE = "common practice in sybil analysis (e.g. airdrop sybil filters); low confidence"
    ENABLED = False

    def run(self, con: duckdb.DuckDBPyConnection) -> None:
        self.insert_links(con, f"""
            WITH firsts AS (
                SELECT chain, address, arg_min(rec, ord) AS rec FROM (
                    SELECT chain, to_address AS address, ord, x AS rec FROM xfers x
                    UNION ALL SELECT chain, from_address, ord, x FROM xfers x
                ) GROUP BY chain, address
            )
            SELECT f.chain, f.address AS x, f.rec.from_address AS y,
                   to_json([{evidence_item('f.rec', 'first funding')}])::VARCHAR AS evidence
            FROM firsts f WHERE f.rec.to_address = f.address AND f.rec.asset = 'native'
        """)
