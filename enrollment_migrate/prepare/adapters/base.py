"""The adapter plug-in interface: for exports that need computing before they fit the template
(several tables to join, day offsets to turn into dates, results to turn into statuses).

An adapter is anything with a `name` and `frames(source) -> pl.DataFrame`, where the frame has
template headers as columns (any of them; the mapping can supply or override the others):
text, or `pl.Date` / `pl.Datetime` for the date columns, statuses as template words or as source
words that the mapping's `statuses` maps. It may keep a `__row` column with the source row of
each record, for the report's examples. A mapping names it with `adapter: NAME` and passes
`adapter_options` to its factory as keyword arguments.

Adapters register by name: `register("name", Factory)` in this package, or, from another
installed package, under the entry-point group `enrollment_migrate.adapters`.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import polars as pl

ENTRY_POINT_GROUP = "enrollment_migrate.adapters"


@runtime_checkable
class Adapter(Protocol):
    name: str

    def frames(self, source: Path) -> pl.DataFrame:
        """The source's records as template-shaped columns."""
        ...


class AdapterOptionError(ValueError):
    """An adapter option the factory refuses; `option` names it."""

    def __init__(self, option: str, message: str):
        self.option = option
        super().__init__(message)


AdapterFactory = Callable[..., Adapter]
_FACTORIES: dict[str, AdapterFactory] = {}


def register(name: str, factory: AdapterFactory) -> None:
    _FACTORIES[name] = factory


def _load_plugins() -> None:
    for plugin in entry_points(group=ENTRY_POINT_GROUP):
        if plugin.name not in _FACTORIES:
            _FACTORIES[plugin.name] = plugin.load()


def adapter_names() -> list[str]:
    _load_plugins()
    return sorted(_FACTORIES)


def make_adapter(name: str, options: dict[str, Any]) -> Adapter:
    """The named adapter built with `options`; AdapterOptionError names a refused option (an
    unknown option is refused by the factory's signature)."""
    _load_plugins()
    factory = _FACTORIES[name]
    accepted = [
        p.name for p in inspect.signature(factory).parameters.values()
        if p.kind in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD)
    ]
    for option in options:
        if option not in accepted:
            raise AdapterOptionError(
                option, f"not an option of the {name} adapter (its options: {', '.join(accepted) or 'none'})"
            )
    return factory(**options)
