"""Typed payloads: one GraphQL type per registered event, made from its dataclass.

Each domain event's fields become the fields of ``<Type>Data`` (tuples as lists, values of
no fixed shape as JSON), so the schema grows with the registry and never drifts from it.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Mapping
from typing import TYPE_CHECKING, Annotated, Any, Union

import strawberry
from strawberry.scalars import JSON

from ledger.domain.events import REGISTRY, DomainEvent

__all__ = ["EventData", "event_data"]


def _graphql_annotation(annotation: Any) -> Any:
    origin = typing.get_origin(annotation)
    if origin in (Union, types.UnionType):
        members = [_graphql_annotation(a) for a in typing.get_args(annotation)]
        return Union[tuple(members)]  # noqa: UP007 - built from a runtime tuple
    if origin is tuple:
        args = typing.get_args(annotation)
        if len(args) == 2 and args[1] is Ellipsis and args[0] is str:
            return list[str]
        return JSON
    if annotation in (str, int, bool, type(None)):
        return annotation
    return JSON


def _data_type(cls: type[DomainEvent]) -> type:
    hints = typing.get_type_hints(cls)
    fields = [(f.name, _graphql_annotation(hints[f.name])) for f in dataclasses.fields(cls)]
    made = dataclasses.make_dataclass(f"{cls.type_name}Data", fields)
    return strawberry.type(made, description=f"The payload of the {cls.type_name} event.")


_DATA_TYPES: dict[str, type] = {
    name: _data_type(cls) for name, cls in sorted(REGISTRY.classes().items())
}

if TYPE_CHECKING:
    EventData = Any
else:
    EventData = Annotated[
        Union[tuple(_DATA_TYPES.values())],  # noqa: UP007 - members known only at run time
        strawberry.union("EventData", description="An event's payload, typed by its event type."),
    ]


def _plain(value: Any) -> Any:
    if isinstance(value, tuple) and all(isinstance(v, tuple) and len(v) == 2 for v in value):
        return {k: _plain(v) for k, v in value}  # e.g. a correction's field -> value pairs
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    return value


def event_data(event_type: str, payload: Mapping[str, Any]) -> Any:
    """The typed payload of an event, or None for a type this schema cannot type."""
    data_type = _DATA_TYPES.get(event_type)
    if data_type is None:
        return None
    event = REGISTRY.decode(event_type, payload)
    values = {f.name: _plain(getattr(event, f.name)) for f in dataclasses.fields(event)}
    return data_type(**values)
