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
from gql.entities.columns import CatalogMismatch, check_catalog
from gql.entities.tables import TABLES
from gql.schema import build_schema
from tests.support import REPOSITORY, drop, scratch_database

SCHEMA = build_schema()._schema


def test_each_business_field_and_input_the_registry_names_is_in_the_schema_and_back() -> None:
    business = SCHEMA.get_type("Business")
    business_input = SCHEMA.get_type("BusinessInput")
    assert isinstance(business, GraphQLObjectType) and isinstance(business_input, GraphQLInputObjectType)
    assert set(BUSINESSES.fields()) <= set(business.fields)
    # Every input field writes a column the registry names, and nothing else writes one.
    assert set(BUSINESSES.inputs()) == set(business_input.fields)


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
