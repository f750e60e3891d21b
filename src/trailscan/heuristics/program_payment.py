"""Service payment accounts: value a payer sends, in a transaction it signed that calls a labeled service's program
or contract, into an unlabeled account, is a payment to that service; the account is the service's.

This is how a payment to a GPU marketplace is recognised where the marketplace takes it into an account its
program controls (a Solana program-derived vault, such as a Nosana job's escrow) or a contract it deploys per
deal: the account itself is in no label set, but the transaction names the marketplace. The heuristic links no
addresses; it labels the receiving account (category and actor of the service), with the transactions as
evidence. Payouts are not taken for payments: the transfer's sender must be the transaction's signer.
"""

from __future__ import annotations

import duckdb

from .base import Heuristic, Param, evidence_item


class ProgramPayment(Heuristic):
    NAME = "program-payment"
    HELP = ("A payer's transfer into an unlabeled account, in a transaction it signed calling a labeled service's "
            "program or contract, labels that account as the service's (e.g. a marketplace's escrow vault).")
    CONFIDENCE = 70
    REFERENCE = "trailscan: Solana programs take payments into program-derived accounts (Solana docs, 'PDAs')"
    ENABLED = True
    PARAMS = (Param("min_payments", int, 1, "fewest such payments into the account", 1),)

    def run(self, con: duckdb.DuckDBPyConnection) -> None:
        con.execute(f"""
            INSERT INTO candidate_labels
            SELECT x.chain, x.to_address, 'payment account of ' || any_value(s.label), any_value(s.category),
                   any_value(s.actor), ?, ?,
                   to_json(list({evidence_item('x', 'payment')} ORDER BY x.ord)[:5])::VARCHAR
            FROM xfers x
            JOIN tx_senders t ON t.chain = x.chain AND t.tx_hash = x.tx_hash
            JOIN services s ON s.chain = x.chain AND s.address = t.tx_to
            WHERE x.tx_from = x.from_address AND x.to_address <> t.tx_to AND x.to_address <> x.tx_from
              AND NOT EXISTS (SELECT 1 FROM services v WHERE v.chain = x.chain AND v.address = x.to_address)
            GROUP BY x.chain, x.to_address
            HAVING count(*) >= ? AND count(DISTINCT s.address) = 1
        """, [self.NAME, self.CONFIDENCE, int(self.params["min_payments"])])
