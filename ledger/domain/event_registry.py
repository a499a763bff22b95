"""The machinery of domain events: their base class, how a payload becomes an event again,
and the registry of stable type names with the upcasters of older shapes.

The events themselves are declared in ``ledger.domain.events``, which re-exports these.
"""

from __future__ import annotations

import dataclasses
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, TypeAlias

__all__ = ["DomainEvent", "EventRegistry", "JSONValue", "Payload", "Upcaster", "frozen", "plain"]

JSONValue: TypeAlias = "bool | int | float | str | list[JSONValue] | dict[str, JSONValue] | None"
Payload: TypeAlias = dict[str, Any]
Upcaster: TypeAlias = Callable[[Payload], Payload]


@dataclass(frozen=True)
class DomainEvent:
    """Base of every domain event; ``type_name`` is the stored, stable name."""

    type_name: ClassVar[str] = ""
    schema_version: ClassVar[int] = 1

    def to_payload(self) -> Payload:
        return {f.name: plain(getattr(self, f.name)) for f in dataclasses.fields(self)}

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any]) -> DomainEvent:
        names, direct = _fields_of(cls)
        if direct and payload.keys() == names:
            # Nothing to freeze or leave out: the payload is the instance's whole state. It
            # is set as the generated __init__ would set it (no __post_init__ to run), but at
            # once: a frozen dataclass's __init__ assigns field by field through
            # object.__setattr__, which makes it some 1.7 times slower (a replay builds one
            # event per stored event).
            event = object.__new__(cls)
            event.__dict__.update(payload)
            return event
        # Only lists need freezing (JSON has no tuples); other values are passed as they are.
        items = payload.items()
        return cls(**{k: frozen(v) if isinstance(v, list) else v for k, v in items if k in names})


_SCALARS = (str, int, float, bool, type(None))
_FIELDS: dict[type[DomainEvent], tuple[frozenset[str], bool]] = {}


def _fields_of(cls: type[DomainEvent]) -> tuple[frozenset[str], bool]:
    """The init fields of an event class, and whether a payload of exactly those fields can
    become its state as it is: all of them hold plain scalars (no list to freeze) and the
    class has no ``__post_init__``. Worked out once per class: ``dataclasses.fields`` walks
    every attribute on each call, which a replay would do once per event."""
    known = _FIELDS.get(cls)
    if known is None:
        fields = dataclasses.fields(cls)
        try:
            hints = typing.get_type_hints(cls)
        except NameError:  # an annotation that does not resolve here: take the long way
            hints = {}
        scalar = all(
            all(arg in _SCALARS for arg in (typing.get_args(hint) or (hint,)))
            for hint in (hints.get(f.name) for f in fields)
        )
        direct = scalar and not hasattr(cls, "__post_init__") and "__slots__" not in vars(cls)
        known = _FIELDS[cls] = (frozenset(f.name for f in fields), direct)
    return known


def plain(value: Any) -> Any:
    if isinstance(value, tuple):
        return [plain(v) for v in value]
    return value


def frozen(value: Any) -> Any:
    if isinstance(value, list):
        return tuple(frozen(v) for v in value)
    return value


class EventRegistry:
    """Maps stable type names to event classes and to the upcasters of older shapes."""

    def __init__(self) -> None:
        self._classes: dict[str, type[DomainEvent]] = {}
        self._versions: dict[str, int] = {}
        self._upcasters: dict[tuple[str, int], Upcaster] = {}

    def register(
        self, name: str, cls: type[DomainEvent] | None = None, *, schema_version: int = 1
    ) -> None:
        if name in self._versions:
            raise ValueError(f"event type {name!r} is registered twice")
        self._versions[name] = schema_version
        if cls is not None:
            self._classes[name] = cls

    def event(self, cls: type[DomainEvent]) -> type[DomainEvent]:
        """Class decorator: register a domain event under its ``type_name``."""
        self.register(cls.type_name, cls, schema_version=cls.schema_version)
        return cls

    def upcaster(self, name: str, from_version: int) -> Callable[[Upcaster], Upcaster]:
        """Decorator: lift a payload of ``name`` from ``from_version`` to the next version."""

        def decorate(function: Upcaster) -> Upcaster:
            self._upcasters[(name, from_version)] = function
            return function

        return decorate

    def is_known(self, name: str) -> bool:
        return name in self._versions

    def current_version(self, name: str) -> int:
        return self._versions[name]

    def upcast(self, name: str, schema_version: int, payload: Payload) -> tuple[Payload, int]:
        """Lift a stored payload step by step to the current shape of its type."""
        current = self._versions[name]
        while schema_version < current:
            step = self._upcasters.get((name, schema_version))
            if step is None:
                raise LookupError(f"no upcaster for {name!r} from version {schema_version}")
            payload = step(payload)
            schema_version += 1
        return payload, schema_version

    def classes(self) -> dict[str, type[DomainEvent]]:
        """The registered event classes by type name."""
        return dict(self._classes)

    def decode(self, name: str, payload: Mapping[str, Any]) -> DomainEvent:
        return self._classes[name].from_payload(payload)

    def copy(self) -> EventRegistry:
        clone = EventRegistry()
        clone._classes = dict(self._classes)
        clone._versions = dict(self._versions)
        clone._upcasters = dict(self._upcasters)
        return clone
