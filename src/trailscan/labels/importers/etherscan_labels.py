"""brianleect/etherscan-labels: accounts and tokens CSVs per label, and ``combinedAllLabels.json``."""

from __future__ import annotations

from collections.abc import Iterator

from .base import Draft, ImportContext, Importer, category_for, csv_rows, line_of, load_json, require_chain

DATASET = "brianleect/etherscan-labels"


def _source(ctx: ImportContext) -> str:
    parts = ctx.path.parts
    if "data" in parts:
        start = len(parts) - 1 - parts[::-1].index("data")
        return f"{DATASET}:{'/'.join(parts[start:])}"
    return f"{DATASET}:{ctx.path.name}"


def _columns(ctx: ImportContext, header: list[str], line: int, *names: str) -> list[int]:
    cleaned = [h.strip().lower() for h in header]
    found = []
    for name in names:
        if name.lower() not in cleaned:
            raise ctx.fail(f"no {name!r} column in the header", line,
                           hint="expected the etherscan-labels layout (" + ",".join(names) + ", ...)")
        found.append(cleaned.index(name.lower()))
    return found


class _LabelCsv(Importer):
    """Shared reading of the per-label CSVs: the label is the file name, the chain its scanner folder."""

    ABSTRACT = True

    COLUMNS: tuple[str, str] = ("", "")

    def rows(self, ctx: ImportContext) -> Iterator[Draft]:
        label_name = ctx.path.stem
        chain = require_chain(ctx)
        source, category = _source(ctx), category_for(label_name)
        rows = csv_rows(ctx)
        first = next(rows, None)
        if first is None:
            return
        at_address, at_name = _columns(ctx, first[1], first[0], *self.COLUMNS)
        for line, cells in rows:
            if len(cells) <= max(at_address, at_name):
                raise ctx.fail(f"expected {len(first[1])} columns, found {len(cells)}", line)
            name = cells[at_name].strip()
            fields = {"address": cells[at_address].strip(), "network": chain, "source": source,
                      "label": name or f"{label_name} (no name tag)",
                      "context": f"Etherscan label '{label_name}' (via {DATASET})"}
            if category:
                fields["category"] = category
            yield Draft(line, fields)


class EtherscanAccounts(_LabelCsv):
    NAME = "etherscan-accounts"
    HELP = "brianleect/etherscan-labels accounts CSV: ,Address,Name Tag,Balance,Txn Count"
    DATASET = DATASET
    FILE_HINT = "data/<scanner>/accounts/<label>.csv"
    DEFAULT_CONFIDENCE = "web_crawl"
    ORIGIN = "etherscan"
    COLUMNS = ("Address", "Name Tag")


class EtherscanTokens(_LabelCsv):
    NAME = "etherscan-tokens"
    HELP = "brianleect/etherscan-labels tokens CSV: ,#,Contract Address,Token Name,Market Cap,Holders,Website"
    DATASET = DATASET
    FILE_HINT = "data/<scanner>/tokens/<label>.csv"
    DEFAULT_CONFIDENCE = "web_crawl"
    ORIGIN = "etherscan"
    COLUMNS = ("Contract Address", "Token Name")


class EtherscanCombined(Importer):
    NAME = "etherscan-combined"
    HELP = "brianleect/etherscan-labels combinedAllLabels.json: {address: {name, labels: [...]}}"
    DATASET = DATASET
    FILE_HINT = "data/<scanner>/combined/combinedAllLabels.json"
    DEFAULT_CONFIDENCE = "web_crawl"
    ORIGIN = "etherscan"

    def rows(self, ctx: ImportContext) -> Iterator[Draft]:
        data = load_json(ctx)
        if not isinstance(data, dict):
            raise ctx.fail("expected a JSON object {address: {\"name\": ..., \"labels\": [...]}}", 1)
        chain, source = require_chain(ctx), _source(ctx)
        for address, entry in data.items():
            line = line_of(ctx.text, address)
            if not isinstance(entry, dict):
                raise ctx.fail(f"the entry for {address[:60]!r} is not an object", line)
            labels = [x for x in entry.get("labels") or [] if isinstance(x, str)]
            name = entry.get("name") if isinstance(entry.get("name"), str) else ""
            label = (name or "").strip() or (labels[0] if labels else "")
            if not label:
                ctx.skip("entries with neither name nor labels")
                continue
            fields = {"address": address, "label": label, "network": chain, "source": source,
                      "context": f"Etherscan labels: {', '.join(labels)} (via {DATASET})"}
            category = category_for(*labels)
            if category:
                fields["category"] = category
            yield Draft(line, fields)
