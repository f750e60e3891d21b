"""Actor files (``actors.yaml``): the entities tags point at, with their sources."""

from __future__ import annotations

from pathlib import Path

from ..errors import LabelError
from . import taxonomy
from .model import Actor, Problem
from .yamlread import Value, YMap, decode, parse_file

ACTOR_FIELDS = frozenset({"id", "name", "category", "jurisdictions", "website", "aliases", "sources", "context"})
HEADER_FIELDS = frozenset({"title", "creator", "description", "lastmod", "actors"})


def read_actors(path: Path, *, display: str | None = None) -> tuple[list[Actor], list[Problem]]:
    shown = display or str(path)
    problems: list[Problem] = []
    try:
        doc = parse_file(decode(path.read_bytes(), shown), shown, "actors")
    except OSError as exc:
        raise LabelError(f"cannot read actor file: {exc.strerror}", path=shown) from None
    except LabelError as exc:
        return [], [Problem.from_error(exc)]
    if not isinstance(doc, YMap) or not isinstance(doc.values.get("actors"), list):
        return [], [Problem(shown, 1, "an actor file is a mapping with an 'actors:' list")]
    for key in doc.values.keys() - HEADER_FIELDS:
        problems.append(Problem(shown, doc.line_of(key), f"unknown header field {key[:60]!r}"))
    actors: list[Actor] = []
    items = doc.values["actors"]
    assert isinstance(items, list)
    for item in items:
        actor = _actor(item, shown, problems) if isinstance(item, YMap) else None
        if actor is not None:
            actors.append(actor)
        elif not isinstance(item, YMap):
            problems.append(Problem(shown, doc.line_of("actors"), "each actor must be a mapping"))
    return actors, problems


def _actor(item: YMap, path: str, problems: list[Problem]) -> Actor | None:
    before = len(problems)
    for key in item.values.keys() - ACTOR_FIELDS:
        problems.append(Problem(path, item.line_of(key), f"unknown actor field {key[:60]!r}",
                                "actor fields are " + ", ".join(sorted(ACTOR_FIELDS))))
    ident, name = _text(item, "id", path, problems), _text(item, "name", path, problems)
    if not ident or not name:
        problems.append(Problem(path, item.line, "an actor needs 'id' and 'name'"))
    category = _text(item, "category", path, problems)
    if category is not None and not taxonomy.is_category(category):
        problems.append(Problem(path, item.line_of("category"), f"unknown category {category[:60]!r}"))
    lists = {key: _list(item, key, path, problems) for key in ("jurisdictions", "aliases", "sources")}
    website = _text(item, "website", path, problems)
    if len(problems) > before or not ident or not name:
        return None
    return Actor(ident, name, category, lists["jurisdictions"], website, lists["aliases"], lists["sources"],
                 path, item.line)


def _text(item: YMap, key: str, path: str, problems: list[Problem]) -> str | None:
    value = item.values.get(key)
    if value is None or isinstance(value, str):
        if value is not None and len(value) > 2000:
            problems.append(Problem(path, item.line_of(key), f"{key!r} is too long"))
            return None
        return value
    problems.append(Problem(path, item.line_of(key), f"{key!r} must be a single value"))
    return None


def _list(item: YMap, key: str, path: str, problems: list[Problem]) -> tuple[str, ...]:
    value: Value = item.values.get(key)
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(v for v in value if isinstance(v, str))
    problems.append(Problem(path, item.line_of(key), f"{key!r} must be a list of text values"))
    return ()
