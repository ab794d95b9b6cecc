"""A table's columns as the API uses them, and the check that the database has them."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal, Protocol

TIMESTAMP = "timestamp with time zone"

Form = Literal["value", "id", "timestamp", "enum"]
"""How a field shows its column: the value as it is; an ID (the UUID as text); a timestamp in
ISO 8601; an enum name (the stored value in capitals)."""


@dataclass(frozen=True)
class Column:
    name: str
    sql_type: str
    """As the catalog names it (format_type: "text", "uuid[]", "timestamp with time zone")."""
    field: str | None = None
    """The GraphQL field that shows this column alone (camelCase); None when no field does,
    or when a field makes something of it with other columns (address, rating)."""
    form: Form = "value"
    input: str | None = None
    """The input field that writes it (camelCase), or None when no input does."""
    python: Any = None
    """The Python type of its field and input (None left out); given, the Strawberry type and
    input get them from here (gql/schema/columns.py), else they declare them themselves."""
    nullable: bool = False
    """Its field may be null (the column may be)."""
    description: str | None = None
    """Of its GraphQL field."""
    input_description: str | None = None
    """Of its input field."""
    shown: bool = True
    """Read by the API (alone or as part of a field): the loaders select it."""
    webhook: bool = True
    """Carried in a webhook's node (when shown)."""

    @property
    def attribute(self) -> str:
        """The Python attribute of the field on its Strawberry type."""
        assert self.field is not None
        return attribute_of(self.field)


def attribute_of(name: str) -> str:
    """The Python attribute (snake_case) of a GraphQL field or input field (camelCase)."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower()


@dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[Column, ...]
    computed: tuple[str, ...] = ()
    """Values the loaders select beside the columns (SQL expressions of the row `{a}`, named)."""

    def select_list(self, alias: str) -> str:
        """The columns and computed values the loaders read of a row (`alias`.column)."""
        shown = [f"{alias}.{c.name}" for c in self.columns if c.shown]
        return ", ".join([*shown, *(expression.replace("{a}", alias) for expression in self.computed)])

    def fields(self) -> dict[str, Column]:
        """The fields that show one column each, by field name."""
        return {c.field: c for c in self.columns if c.field is not None}

    def values(self, row: Row) -> dict[str, Any]:
        """The plain fields' values of a row, by Python attribute (for `from_row`)."""
        return {c.attribute: row[c.name] for c in self.columns
                if c.field is not None and c.form in ("value", "timestamp")}

    def webhook_columns(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.shown and c.webhook)

    def inputs(self) -> dict[str, str]:
        """The columns the input fields write, by input field name."""
        return {c.input: c.name for c in self.columns if c.input is not None}


class Row(Protocol):
    """A row read by name (an asyncpg Record, a dict)."""

    def __getitem__(self, name: str) -> Any: ...


class Catalog(Protocol):
    async def fetch(self, query: str, *args: Any) -> list[Any]: ...


class CatalogMismatch(Exception):
    """A table the API describes differs from the database: the server must not start."""


async def check_catalog(conn: Catalog, tables: tuple[Table, ...]) -> None:
    """Raise CatalogMismatch naming each described column the database lacks or types
    otherwise (a migration not run, or a registry entry written wrong)."""
    found = {(r["table_name"], r["column_name"]): r["type"] for r in await conn.fetch(
        "select c.relname as table_name, a.attname as column_name,"
        " format_type(a.atttypid, null) as type"
        " from pg_attribute a join pg_class c on c.oid = a.attrelid"
        " where c.relnamespace = 'public'::regnamespace and c.relname = any($1::text[])"
        " and a.attnum > 0 and not a.attisdropped", [t.name for t in tables])}
    wrong = []
    for table in tables:
        for column in table.columns:
            have = found.get((table.name, column.name))
            if have is None:
                wrong.append(f"{table.name}.{column.name} is missing (expected {column.sql_type})")
            elif have != column.sql_type:
                wrong.append(f"{table.name}.{column.name} is {have}, described as {column.sql_type}")
    if wrong:
        raise CatalogMismatch("the database does not match gql/entities: " + "; ".join(wrong))
