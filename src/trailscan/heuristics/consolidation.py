"""Consolidation sweeps: an address that repeatedly empties one asset into the same collector. Weak."""

from __future__ import annotations

import duckdb

from .base import Heuristic, Param, evidence_item


class Consolidation(Heuristic):
    NAME = "consolidation"
    HELP = ("An address whose every outgoing transfer of an asset (at least min_sweeps of them) goes to one "
            "collector. Weak: also fits a customer who always pays one merchant; off by default.")
    CONFIDENCE = 20
    REFERENCE = "repeated consolidation to one collector, a weak signal noted in the clustering literature"
    ENABLED = False
    PARAMS = (Param("min_sweeps", int, 3, "fewest sweeps to the same collector", 2),)

    def run(self, con: duckdb.DuckDBPyConnection) -> None:
        self.insert_links(con, f"""
            SELECT chain, from_address AS x, any_value(to_address) AS y,
                   to_json(list({evidence_item('s', 'sweep')} ORDER BY ord))::VARCHAR AS evidence
            FROM xfers s GROUP BY chain, from_address, asset
            HAVING count(DISTINCT to_address) = 1 AND count(*) >= ?
        """, [int(self.params["min_sweeps"])])
