"""The column registry (gql/entities): it matches the schema it describes, it is what the
loaders, inputs, compiler and webhooks use, and a database that does not match it stops the
server at startup with the column named."""

from __future__ import annotations

import os
import subprocess
import sys

import asyncpg
import pytest
from graphql import GraphQLInputObjectType, GraphQLObjectType

from gql.entities.business import BUSINESSES
from gql.entities.category import CATEGORIES
from gql.entities.columns import CatalogMismatch, check_catalog
from gql.entities.review import RESPONSES, REVIEWS
from gql.entities.tables import TABLES
from gql.schema import build_schema
from tests.support import REPOSITORY, drop, scratch_database

SCHEMA = build_schema()._schema


def test_each_field_and_input_the_registry_names_is_in_the_schema_and_back() -> None:
    for type_name, table in TYPES.items():
        type_ = SCHEMA.get_type(type_name)
        assert isinstance(type_, GraphQLObjectType)
        assert set(table.fields()) <= set(type_.fields), type_name
    assert set(TABLES) == {BUSINESSES, REVIEWS, RESPONSES, CATEGORIES}
    business_input = SCHEMA.get_type("BusinessInput")
    assert isinstance(business_input, GraphQLInputObjectType)
    # Every input field writes a column the registry names, and nothing else writes one.
    assert set(BUSINESSES.inputs()) == set(business_input.fields)


TYPES = {"Business": BUSINESSES, "Review": REVIEWS, "ReviewResponse": RESPONSES, "Category": CATEGORIES}


def test_a_registry_entry_is_the_field_the_input_the_compiled_field_and_the_webhook_key() -> None:
    """One Column line makes all of these (a field added this way needs nothing else but its
    migration): the GraphQL field with its type, nullability and description, the compiled
    field, the input field, and the webhook node's key."""
    from graphql import GraphQLNonNull, get_nullable_type

    from gql.compiled.compiler import _FIELDS
    from gql.webhooks.delivery import NODE_FIELDS

    for type_name, table in TYPES.items():
        type_ = SCHEMA.get_type(type_name)
        assert isinstance(type_, GraphQLObjectType)
        for column in table.columns:
            if column.field is not None:
                assert column.field in _FIELDS[type_name], (type_name, column.field)
            if column.field is not None and column.python is not None:
                field = type_.fields[column.field]
                assert isinstance(field.type, GraphQLNonNull) is not column.nullable, (type_name, column.name)
                assert field.description == column.description, (type_name, column.name)
            assert (column.name in NODE_FIELDS[type_name]) is (column.shown and column.webhook)
    business, business_input = SCHEMA.get_type("Business"), SCHEMA.get_type("BusinessInput")
    assert isinstance(business, GraphQLObjectType) and isinstance(business_input, GraphQLInputObjectType)
    for column in BUSINESSES.columns:
        if column.input is not None and column.python is not None:
            given = business_input.fields[column.input]
            assert not isinstance(given.type, GraphQLNonNull) and given.description == column.input_description
            if column.field is not None:  # the same type as the field shows
                shown = business.fields[column.field].type
                assert str(get_nullable_type(given.type)) == str(get_nullable_type(shown)), column.name


async def test_a_migrated_database_matches_the_registry(server_url: str, migrated_template: str) -> None:
    name, url = await scratch_database(server_url, template=migrated_template)
    try:
        conn = await asyncpg.connect(url)
        try:
            await check_catalog(conn, TABLES)
            await conn.execute("alter table businesses rename column phone to phone_number;"
                               " alter table businesses alter column price_level type integer")
            with pytest.raises(CatalogMismatch) as mismatch:
                await check_catalog(conn, TABLES)
        finally:
            await conn.close()
        assert str(mismatch.value) == (
            "the database does not match gql/entities: businesses.phone is missing (expected text);"
            " businesses.price_level is integer, described as smallint")
        # The server does not start on it, and says why.
        served = subprocess.run(
            [sys.executable, "-m", "gql", "serve", "--no-seed", "--port", "0"], cwd=REPOSITORY,
            env={**os.environ, "DATABASE_URL": url, "JWT_SECRET": "a-secret-for-the-registry-test-0123456789"},
            capture_output=True, text=True, timeout=120)
        assert served.returncode != 0
        assert "businesses.phone is missing" in served.stdout + served.stderr
    finally:
        await drop(server_url, name)
