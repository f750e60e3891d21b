"""One way to load plug-ins: built-in classes first, then the classes installed packages declare in an
entry-point group. A plug-in must derive from the kind's base class and may not take a built-in's name."""

from __future__ import annotations

from importlib.metadata import entry_points
from typing import Any, TypeVar

from .errors import InputError

T = TypeVar("T")


def load(group: str, base: type[T], builtins: dict[str, type[T]], what: str) -> dict[str, type[T]]:
    """Every class of a kind by its NAME: ``builtins``, then the entry points of ``group``."""
    found = dict(builtins)
    for entry in entry_points(group=group):
        cls: Any = entry.load()
        if not (isinstance(cls, type) and issubclass(cls, base)):
            raise InputError(f"the plug-in {entry.name!r} ({entry.value}) is not a trailscan {base.__name__} class",
                             hint=f"fix or uninstall the package that declares it in {group}")
        name = str(getattr(cls, "NAME", entry.name))
        if name in found and found[name] is not cls:
            raise InputError(f"the plug-in {entry.value} reuses the {what} name {name!r}",
                             hint="give the plug-in another NAME")
        found[name] = cls
    return found
