"""Airdrop multi-participation: recipients of one airdrop who forward it to one address belong to its owner."""

from __future__ import annotations

import duckdb

from .base import Heuristic, Param, evidence_item


class Airdrop(Heuristic):
    NAME = "airdrop"
    HELP = ("The same (token, sender, amount) sent to many recipients within a few blocks is an airdrop; recipients "
            "that forward the airdropped token to one common address belong to that address's owner.")
    CONFIDENCE = 60
    REFERENCE = "F. Victor, Address Clustering Heuristics for Ethereum, FC 2020; etherclust defaults"
    ENABLED = True
    PARAMS = (
        Param("min_recipients", int, 1_000, "fewest distinct recipients that make an airdrop", 2),
        Param("max_median_gap", float, 2, "largest median block gap between the airdrop's transfers"),
        Param("min_aggregations", int, 2, "fewest airdrop recipients forwarding to one address", 2),
    )

    def run(self, con: duckdb.DuckDBPyConnection) -> None:
        # only (token, sender, amount) groups with enough transfers can be airdrops: the gaps are computed on those
        con.execute("""
            CREATE OR REPLACE TEMP TABLE airdrop_drops AS
            WITH big AS (
                SELECT chain, asset, from_address, amount FROM xfers WHERE asset <> 'native'
                GROUP BY ALL HAVING count(*) >= ?
            ), gaps AS (
                SELECT x.chain, x.asset, x.from_address AS source, x.amount,
                       x.block_number - lag(x.block_number) OVER (PARTITION BY x.chain, x.asset, x.from_address,
                                                                  x.amount ORDER BY x.ord) AS gap
                FROM xfers x JOIN big USING (chain, asset, from_address, amount)
            )
            SELECT chain, asset, source, amount FROM gaps GROUP BY ALL
            HAVING count(*) >= ? AND median(gap) <= ?
        """, [int(self.params["min_recipients"]), int(self.params["min_recipients"]),
              float(self.params["max_median_gap"])])
        con.execute(f"""
            CREATE OR REPLACE TEMP TABLE airdrop_forwards AS
            SELECT r.chain, r.to_address AS recipient, f.to_address AS collector,
                   arg_min({evidence_item('r', 'airdrop')}, r.ord) AS r_ev,
                   arg_min({evidence_item('f', 'forward')}, f.ord) AS f_ev
            FROM airdrop_drops d
            JOIN xfers r ON r.chain = d.chain AND r.asset = d.asset AND r.from_address = d.source
                        AND r.amount = d.amount
            JOIN xfers f ON f.chain = r.chain AND f.asset = r.asset AND f.from_address = r.to_address AND f.ord > r.ord
            WHERE f.to_address <> d.source
            GROUP BY ALL
        """)
        self.insert_links(con, """
            SELECT chain, recipient AS x, collector AS y, to_json([r_ev, f_ev])::VARCHAR AS evidence
            FROM airdrop_forwards
            QUALIFY count(DISTINCT recipient) OVER (PARTITION BY chain, collector) >= ?
        """, [int(self.params["min_aggregations"])])
