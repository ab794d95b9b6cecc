"""schema.graphql is the committed contract: it must match the code."""

from __future__ import annotations

from pathlib import Path

from gql.schema import build_schema

SCHEMA_FILE = Path(__file__).resolve().parent.parent / "schema.graphql"


def test_committed_schema_is_up_to_date() -> None:
    assert SCHEMA_FILE.read_text() == build_schema().as_str() + "\n", (
        "schema.graphql is out of date: run `python -m gql export-schema` and commit it")


def test_contract_names_are_present() -> None:
    sdl = SCHEMA_FILE.read_text()
    for name in ("business(id: ID = null, slug: String = null): Business",
                 "businesses(filter: BusinessFilter = null, orderBy: BusinessOrder! = NAME",
                 "categories: [Category!]!", "category(slug: String!): Category",
                 "review(id: ID!): Review", "totalCount: Int!", "endCursor: String",
                 "ratingDistribution: [RatingCount!]!", "isOpenNow: Boolean!", "ancestors: [Category!]!"):
        assert name in sdl, name
