"""Self-authorization: an owner approves an externally owned spender, which then moves the owner's tokens."""

from __future__ import annotations

import duckdb

from .base import Heuristic, evidence_item


class SelfAuthorization(Heuristic):
    NAME = "self-authorization"
    HELP = ("An ERC-20 approve from owner O to an externally owned spender S, later used by S (a transferFrom of "
            "O's tokens in a transaction S sent) links O and S. Contract spenders (routers, marketplaces) never link.")
    CONFIDENCE = 80
    REFERENCE = "F. Victor, Address Clustering Heuristics for Ethereum, Financial Cryptography 2020 (section 4.3)"
    ENABLED = True

    def run(self, con: duckdb.DuckDBPyConnection) -> None:
        # a contract spender (a router, a marketplace) is the common, innocent case: the engine's guard refuses
        # every link to a contract, and holds back links whose spender's code status is not known yet
        self.insert_links(con, f"""
            SELECT a.chain, a.owner AS x, a.spender AS y,
                   to_json([struct_pack(role := 'approve', tx := a.tx_hash, locator := 'log:' || a.log_index,
                                        block := a.block_number, "from" := a.owner, "to" := a.spender,
                                        asset := a.asset, amount := a.amount),
                            arg_min({evidence_item('t', 'transferFrom')}, t.ord)])::VARCHAR AS evidence
            FROM appr a
            JOIN xfers t ON t.chain = a.chain AND t.asset = a.asset AND t.from_address = a.owner
                        AND t.tx_from = a.spender AND t.ord > a.ord
            -- compared as text: an unlimited approval (2^256 - 1) fits no integer type
            WHERE a.amount <> '0' AND a.owner <> a.spender
            GROUP BY a.chain, a.owner, a.spender, a.tx_hash, a.log_index, a.block_number, a.asset, a.amount
        """)
