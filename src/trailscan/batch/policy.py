"""The batch policy file: trace settings for every wallet and the flag rules, read strictly with line numbers.

Schema (YAML)::

    trace:                 # optional; the trace of every wallet
      direction: out       # out | in
      hops: 4              # 1-12
      policy: haircut      # haircut | poison | fifo
      entities: true       # true: clusters as one node; false: address by address
    rules:                 # one or more
      - name: gpu-direct   # unique; letters, digits, '-', '_'
        flag: direct payment to a GPU seller      # the text shown in the flags column
        category: [gpu-marketplace, gpu-broker]   # one category or a list
        direct: true       # optional: only direct (true) or only indirect (false) endpoints
        min_usd: 100       # flagged when their USD value adds up to this or more
      - name: sanctioned-near
        flag: sanctioned within 3 hops
        category: sanctioned
        within_hops: 3     # flagged when any value reached them this close
      - name: big-lead
        flag: large unlabeled endpoint
        unlabeled: true
        min_usd: 10000     # flagged when one unlabeled endpoint received this much or more
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from pathlib import Path
from typing import Any

from ..errors import InputError, LabelError
from ..labels import taxonomy
from ..labels.yamlread import Value, YMap, decode, parse_events
from ..tracing import TraceOptions
from ..tracing.engine import MAX_HOPS
from ..tracing.policies import POLICIES
from .rules import RULE_KINDS, Rule

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")
_TRACE_KEYS = ("direction", "hops", "policy", "entities")
_COMMON = frozenset({"name", "flag"})


class PolicyError(InputError):
    """A policy file is malformed; the message starts with ``path:line:``."""

    def __init__(self, message: str, *, path: str, line: int | None, hint: str | None = None) -> None:
        where = f"{path}:{line}: " if line is not None else f"{path}: "
        super().__init__(where + message, hint=hint)
        self.path = path
        self.line = line


@dataclass(frozen=True)
class Policy:
    """A checked policy file: where it is, its SHA-256, the trace settings and the rules."""

    path: str
    sha256: str
    trace: TraceOptions
    rules: tuple[Rule, ...]


def read_policy(path: Path) -> Policy:
    """Read and check a policy file; any problem is a PolicyError naming the file and line."""
    shown = str(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read the policy file {shown}: {exc.strerror or exc}",
                         hint="check the --policy path") from None
    try:
        doc = parse_events(decode(data, shown), shown)
    except LabelError as exc:
        text = exc.message.removeprefix(f"{shown}:{exc.line}: ").removeprefix(f"{shown}: ")
        raise PolicyError(text.replace(" in label files", ""), path=shown, line=exc.line, hint=exc.hint) from None
    return _policy(doc, shown, hashlib.sha256(data).hexdigest())


def _policy(doc: Value, path: str, sha: str) -> Policy:
    if not isinstance(doc, YMap):
        raise PolicyError("the policy must be a mapping with 'rules:' (and optionally 'trace:')", path=path,
                          line=1, hint="see 'trailscan batch --help' and the README for the schema")
    _known(doc, {"trace", "rules"}, path, "top level")
    trace = _trace(doc, path)
    rules_value = doc.values.get("rules")
    if "rules" not in doc.values or not isinstance(rules_value, list) or not rules_value:
        raise PolicyError("'rules' must be a non-empty list of rules", path=path,
                          line=doc.line_of("rules") if "rules" in doc.values else doc.line,
                          hint="add at least one rule: '- name: ..., flag: ..., category: ..., min_usd: ...'")
    rules: list[Rule] = []
    seen: dict[str, int] = {}
    for item in rules_value:
        if not isinstance(item, YMap):
            raise PolicyError("each rule must be a mapping (name, flag, and its condition)", path=path,
                              line=doc.line_of("rules"), hint="write '- name: ...' with its keys indented below")
        rule = _rule(item, path)
        if rule.name in seen:
            raise PolicyError(f"duplicate rule name {rule.name!r} (first on line {seen[rule.name]})", path=path,
                              line=item.line_of("name"), hint="give every rule its own name")
        seen[rule.name] = rule.line
        rules.append(rule)
    return Policy(path, sha, trace, tuple(rules))


def _known(node: YMap, allowed: set[str] | frozenset[str], path: str, where: str) -> None:
    for key in node.values:
        if key not in allowed:
            raise PolicyError(f"unknown key {key[:40]!r} in {where}", path=path, line=node.line_of(key),
                              hint=f"use {', '.join(sorted(allowed))}")


def _trace(doc: YMap, path: str) -> TraceOptions:
    if "trace" not in doc.values:
        return TraceOptions()
    node = doc.values["trace"]
    if not isinstance(node, YMap):
        raise PolicyError("'trace' must be a mapping", path=path, line=doc.line_of("trace"),
                          hint="e.g. 'trace: {hops: 4, policy: haircut}'")
    _known(node, set(_TRACE_KEYS), path, "trace")
    given: dict[str, Any] = {}
    direction = _text(node, "direction", path)
    if direction is not None:
        if direction not in ("out", "in"):
            raise PolicyError(f"direction {direction[:20]!r} is not out or in", path=path,
                              line=node.line_of("direction"), hint="use out or in")
        given["direction"] = direction
    if "hops" in node.values:
        hops = _integer(node, "hops", path)
        if not 1 <= hops <= MAX_HOPS:
            raise PolicyError(f"hops {hops} is outside 1-{MAX_HOPS}", path=path, line=node.line_of("hops"),
                              hint=f"use 1 to {MAX_HOPS}")
        given["hops"] = hops
    name = _text(node, "policy", path)
    if name is not None:
        if name not in POLICIES:
            raise PolicyError(f"unknown policy {name[:20]!r}", path=path, line=node.line_of("policy"),
                              hint=f"use one of {', '.join(POLICIES)}")
        given["policy"] = name
    if "entities" in node.values:
        given["entities"] = _boolean(node, "entities", path)
    return TraceOptions(**given)


def _rule(item: YMap, path: str) -> Rule:
    keys = set(item.values)
    for key in ("name", "flag"):
        if key not in keys:
            raise PolicyError(f"the rule lacks {key!r}", path=path, line=item.line,
                              hint="every rule has a name and a flag text")
    kind = next((k for k in RULE_KINDS if keys >= k.REQUIRED), None)
    if kind is None:
        raise PolicyError("the rule has no condition", path=path, line=item.line,
                          hint="give one of: " + "; ".join(k.HELP.split("}: ")[0] + "}" for k in RULE_KINDS))
    _known(item, _COMMON | kind.REQUIRED | kind.OPTIONAL, path, f"a {kind.KIND} rule")
    name = _text(item, "name", path) or ""
    if not _NAME.match(name):
        raise PolicyError(f"rule name {name[:40]!r} is not a short identifier", path=path, line=item.line_of("name"),
                          hint="use letters, digits, '-' and '_' (up to 64)")
    flag = _text(item, "flag", path) or ""
    if not flag.strip() or "\n" in flag or ";" in flag:
        raise PolicyError("flag must be one line of text without ';'", path=path, line=item.line_of("flag"),
                          hint="e.g. 'flag: paid a GPU marketplace directly'")
    fields: dict[str, Any] = {"name": name, "flag": flag.strip(), "line": item.line}
    if "category" in keys:
        fields["categories"] = _categories(item, path)
    if "min_usd" in keys:
        fields["min_usd"] = _usd(item, path)
    if "within_hops" in keys:
        hops = _integer(item, "within_hops", path)
        if not 1 <= hops <= MAX_HOPS:
            raise PolicyError(f"within_hops {hops} is outside 1-{MAX_HOPS}", path=path,
                              line=item.line_of("within_hops"), hint=f"use 1 to {MAX_HOPS}")
        fields["within_hops"] = hops
    if "direct" in keys:
        fields["direct"] = _boolean(item, "direct", path)
    if "unlabeled" in keys and not _boolean(item, "unlabeled", path):
        raise PolicyError("unlabeled must be true in an unlabeled rule", path=path, line=item.line_of("unlabeled"),
                          hint="write 'unlabeled: true', or use 'category:' for labeled endpoints")
    return kind(**fields)


def _text(node: YMap, key: str, path: str) -> str | None:
    if key not in node.values:
        return None
    value = node.values[key]
    if not isinstance(value, str):
        raise PolicyError(f"{key} must be text", path=path, line=node.line_of(key), hint=f"write '{key}: ...'")
    return value


def _integer(node: YMap, key: str, path: str) -> int:
    value = node.values[key]
    if not isinstance(value, str) or not value.strip().isdigit():
        raise PolicyError(f"{key} must be a whole number", path=path, line=node.line_of(key),
                          hint=f"e.g. '{key}: 3'")
    return int(value)


def _boolean(node: YMap, key: str, path: str) -> bool:
    value = node.values[key]
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    raise PolicyError(f"{key} must be true or false", path=path, line=node.line_of(key),
                      hint=f"write '{key}: true' or '{key}: false'")


def _usd(node: YMap, path: str) -> Fraction:
    value = node.values["min_usd"]
    try:
        amount = Decimal(value.replace("_", "")) if isinstance(value, str) else None
    except InvalidOperation:
        amount = None
    if amount is None or not amount.is_finite() or amount < 0:
        raise PolicyError("min_usd must be a number of USD, 0 or more", path=path, line=node.line_of("min_usd"),
                          hint="e.g. 'min_usd: 1000' or 'min_usd: 0.5'")
    return Fraction(amount)


def _categories(node: YMap, path: str) -> tuple[str, ...]:
    value = node.values["category"]
    items = [value] if isinstance(value, str) else value if isinstance(value, list) else None
    if not items or not all(isinstance(c, str) for c in items):
        raise PolicyError("category must be a category or a non-empty list of them", path=path,
                          line=node.line_of("category"), hint="e.g. 'category: [gpu-marketplace, gpu-broker]'")
    names = [c for c in items if isinstance(c, str)]
    for name in names:
        if not taxonomy.is_category(name):
            raise PolicyError(f"unknown category {name[:40]!r}", path=path, line=node.line_of("category"),
                              hint="see 'trailscan labels categories'")
    return tuple(names)
