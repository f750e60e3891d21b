"""Deposit-address reuse (Victor, FC 2020): customers who pay into one exchange deposit address are one entity."""

from __future__ import annotations

from decimal import Decimal

import duckdb

from .base import Heuristic, Param, evidence_item


class DepositReuse(Heuristic):
    NAME = "deposit-reuse"
    HELP = ("D receives from X and, within tau blocks, forwards a value-matched amount to a labeled exchange: D is "
            "that exchange's deposit address, and every X paying into D is one entity.")
    CONFIDENCE = 80
    REFERENCE = "F. Victor, Address Clustering Heuristics for Ethereum, Financial Cryptography 2020"
    ENABLED = True
    PARAMS = (
        Param("tau", int, 10_000, "most blocks between a deposit and its sweep", 1),
        Param("alpha", float, 0.01, "native coin: largest difference between deposit and sweep, in coins (ETH)"),
        Param("token_tolerance", float, 1.0, "tokens: largest difference between deposit and sweep, in percent", 0,
              100),
        Param("native_decimals", int, 18, "decimals of the chain's native coin (for alpha)", 0, 36),
    )

    def run(self, con: duckdb.DuckDBPyConnection) -> None:
        alpha = int(Decimal(str(self.params["alpha"])) * 10 ** int(self.params["native_decimals"]))
        basis_points = int(Decimal(str(self.params["token_tolerance"])) * 100)
        # sweeps: an unlabeled EOA D pays a labeled exchange; deposits: value into D before a matching sweep
        con.execute(f"""
            CREATE OR REPLACE TEMP TABLE deposit_matches AS
            WITH sweeps AS (
                SELECT s.*, e.label AS exchange_label, e.actor AS exchange_actor FROM xfers s
                JOIN exchanges e ON e.chain = s.chain AND e.address = s.to_address
                JOIN eoas o ON o.chain = s.chain AND o.address = s.from_address
                WHERE NOT EXISTS (SELECT 1 FROM services v WHERE v.chain = s.chain AND v.address = s.from_address)
            )
            SELECT d.chain, d.to_address AS deposit, d.from_address AS customer, w.to_address AS exchange,
                   w.exchange_label, w.exchange_actor, d.ord AS d_ord,
                   {evidence_item('d', 'deposit')} AS d_ev, {evidence_item('w', 'sweep')} AS w_ev
            FROM xfers d JOIN sweeps w
              ON d.chain = w.chain AND d.to_address = w.from_address AND d.asset = w.asset
            WHERE d.ord < w.ord AND w.block_number - d.block_number <= ?
              AND d.from_address <> w.to_address
              AND CASE WHEN d.asset = 'native' THEN abs(d.amt - w.amt) <= ?
                       ELSE abs(d.amt - w.amt) <= (d.amt // 10000) * ? END
        """, [int(self.params["tau"]), alpha, basis_points])
        # each customer's first matched deposit into each deposit address
        con.execute("""
            CREATE OR REPLACE TEMP TABLE deposit_customers AS
            SELECT m.chain, m.deposit, m.customer, arg_min(m.d_ev, m.d_ord) AS d_ev,
                   arg_min(m.w_ev, m.d_ord) AS w_ev,
                   -- the star's centre is the first customer known to be an EOA (a contract link is refused)
                   min(m.d_ord) + CASE WHEN any_value(o.address) IS NULL THEN 1e30::HUGEINT ELSE 0 END AS first_ord
            FROM deposit_matches m LEFT JOIN eoas o ON o.chain = m.chain AND o.address = m.customer
            WHERE NOT EXISTS (SELECT 1 FROM services v WHERE v.chain = m.chain AND v.address = m.customer)
            GROUP BY m.chain, m.deposit, m.customer
        """)
        # every customer of D is linked to D's first customer (a star: the component is the same as all pairs)
        self.insert_links(con, """
            SELECT c.chain, c.customer AS x, f.customer AS y,
                   to_json([c.d_ev, c.w_ev, f.d_ev, f.w_ev])::VARCHAR AS evidence
            FROM deposit_customers c
            JOIN (SELECT chain, deposit, arg_min(customer, first_ord) AS customer, arg_min(d_ev, first_ord) AS d_ev,
                         arg_min(w_ev, first_ord) AS w_ev FROM deposit_customers GROUP BY ALL) f
              ON f.chain = c.chain AND f.deposit = c.deposit
        """)
        con.execute("""
            INSERT INTO candidate_labels
            SELECT chain, deposit, 'deposit address of ' || any_value(exchange_label), 'exchange-deposit',
                   any_value(exchange_actor), ?, ?, to_json([arg_min(d_ev, d_ord), arg_min(w_ev, d_ord)])::VARCHAR
            FROM deposit_matches GROUP BY chain, deposit, exchange
        """, [self.NAME, self.CONFIDENCE])
