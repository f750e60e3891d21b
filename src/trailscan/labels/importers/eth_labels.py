"""dawsbot/eth-labels: ``accounts.json`` (branch all_accounts) and ``tokens.csv`` (branch v1)."""

from __future__ import annotations

from collections.abc import Iterator

from .base import Draft, ImportContext, Importer, category_for, chain_for_id, csv_rows, line_of, load_json
from .base import require_chain as require_chain


def _explorer_context(label: str) -> str:
    return f"explorer label '{label}' (Etherscan-derived, via dawsbot/eth-labels)"


class EthLabelsAccounts(Importer):
    NAME = "eth-labels-accounts"
    HELP = "dawsbot/eth-labels accounts.json: a JSON array of {address, nameTag}; chain and label from the path"
    DATASET = "dawsbot/eth-labels"
    FILE_HINT = "data/<chain>/<label>/accounts.json (branch all_accounts)"
    DEFAULT_CONFIDENCE = "web_crawl"
    ORIGIN = "etherscan"

    def rows(self, ctx: ImportContext) -> Iterator[Draft]:
        data = load_json(ctx)
        if not isinstance(data, list):
            raise ctx.fail("expected a JSON array of {\"address\": ..., \"nameTag\": ...} objects", 1)
        folder = ctx.path.parent.name
        chain = require_chain(ctx, ctx.path.parent.parent.name)
        source = f"{self.DATASET}:data/{ctx.path.parent.parent.name}/{folder}/{ctx.path.name} (branch all_accounts)"
        for number, entry in enumerate(data, 1):
            address = entry.get("address") if isinstance(entry, dict) else None
            if not isinstance(address, str):
                raise ctx.fail(f"entry {number} is not an object with an \"address\"", _entry_line(ctx, entry))
            name = entry.get("nameTag")
            label = name.strip() if isinstance(name, str) and name.strip() else f"{folder} (no name tag)"
            fields = {"address": address, "label": label, "network": chain, "source": source,
                      "context": _explorer_context(folder)}
            category = category_for(folder)
            if category:
                fields["category"] = category
            yield Draft(line_of(ctx.text, address), fields)


class EthLabelsTokens(Importer):
    NAME = "eth-labels-tokens"
    HELP = "dawsbot/eth-labels tokens.csv: address,chainId,label,name,symbol,website,image (--chain keeps one chain)"
    DATASET = "dawsbot/eth-labels"
    FILE_HINT = "data/csv/tokens.csv (branch v1)"
    DEFAULT_CONFIDENCE = "web_crawl"
    ORIGIN = "etherscan"

    def rows(self, ctx: ImportContext) -> Iterator[Draft]:
        wanted = require_chain(ctx) if ctx.options.chain else None
        source = f"{self.DATASET}:data/csv/tokens.csv (v1)"
        for line, cells in csv_rows(ctx):
            if cells[0].strip().lower() == "address":
                continue  # header row
            if len(cells) < 5:
                raise ctx.fail(f"expected 7 columns (address,chainId,label,name,symbol,...), found {len(cells)}",
                               line)
            address, chain_id, label, name, symbol = (c.strip() for c in cells[:5])
            chain = chain_for_id(chain_id)
            if chain is None:
                raise ctx.fail(f"chainId {chain_id[:20]!r} is not a number", line)
            if wanted is not None and chain != wanted:
                ctx.skip(f"rows of other chains than {wanted}")
                continue
            title = name or symbol or label
            if symbol and symbol != title:
                title = f"{title} ({symbol})"
            context = _explorer_context(label)
            if len(cells) > 5 and cells[5].strip():
                context += f"; website {cells[5].strip()}"
            fields = {"address": address, "label": title, "network": chain, "source": source, "context": context}
            category = category_for(label)
            if category:
                fields["category"] = category
            yield Draft(line, fields)


def _entry_line(ctx: ImportContext, entry: object) -> int | None:
    return line_of(ctx.text, str(entry)[:40]) if isinstance(entry, str) else None
