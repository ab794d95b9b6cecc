"""Strawberry fields and input fields made from the column registry (gql/entities): a column
that a type shows as it is, or that an input writes as it is given, is declared there once,
with its Python type and description, and the type or input gets it from there."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any, TypeVar

import strawberry
from strawberry import UNSET

from gql.entities.columns import Table, attribute_of

T = TypeVar("T")


def column_fields(table: Table) -> Callable[[type[T]], type[T]]:
    """Before @strawberry.type: a field for each column of `table` that has a field of its own
    and a Python type, placed after `id`; a field the class declares itself is left as it is."""
    return lambda cls: _added(cls, [(c.attribute, c.python | None if c.nullable else c.python, c.description)
                                    for c in table.columns if c.field is not None and c.python is not None])


def column_inputs(table: Table) -> Callable[[type[T]], type[T]]:
    """Before @strawberry.input: an optional input field (UNSET when not given) for each column
    of `table` that an input writes and that has a Python type."""
    return lambda cls: _added(cls, [(attribute_of(c.input), c.python | None, c.input_description)
                                    for c in table.columns if c.input is not None and c.python is not None],
                              default=UNSET)


def _added(cls: type[T], fields: list[tuple[str, Any, str | None]], default: Any = None) -> type[T]:
    declared = inspect.get_annotations(cls)
    made: dict[str, Any] = {}
    for name, annotation, description in fields:
        if name in declared:
            continue
        made[name] = annotation
        if default is UNSET:
            setattr(cls, name, strawberry.field(default=UNSET, description=description))
        elif description is not None:
            setattr(cls, name, strawberry.field(description=description))
    first = {"id": declared["id"]} if "id" in declared else {}
    cls.__annotations__ = {**first, **made, **{k: v for k, v in declared.items() if k not in first}}
    return cls
