"""A judged relevance set: for each query (typos, several words, accents, category words,
city names, tags), the businesses a person would expect among the first three results.

Two small towns far from the demo directory's cities hold the judged businesses, inside a
seeded directory of the demo's businesses: searches near a town meet only its businesses
and the ranking among them; searches without a location meet the whole directory.
"""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from gql.app import create_app
from gql.database import connect
from gql.settings import Settings
from tests.support import ServerThread, seeded_scratch_database

LARKSPUR = {"latitude": 39.5, "longitude": -116.0}  # Larkspur Hollow, NV (fictional)
QUILLFIELD = {"latitude": 46.9, "longitude": -106.5}  # Quillfield, MT (fictional)

# name, category slug, tags, town
LISTINGS: list[tuple[str, str, list[str], dict[str, float]]] = [
    ("Larkspur Pizza Kitchen", "pizza", ["pizza", "calzone", "delivery"], LARKSPUR),
    ("Marigold Trattoria", "italian", ["pasta", "lasagna", "wine"], LARKSPUR),
    ("Hollow Tavern", "bars", ["craft beer", "happy hour"], LARKSPUR),
    ("Sunrise Dental Care", "dentists", ["teeth cleaning", "dental implants"], LARKSPUR),
    ("Bright Smiles Family Dentistry", "dentists", ["orthodontics"], LARKSPUR),
    ("Quick Fix Auto Repair", "auto-repair", ["mechanic", "brakes", "oil change"], LARKSPUR),
    ("Larkspur Tire Center", "tires", ["wheel alignment", "tire rotation"], LARKSPUR),
    ("Café Müller", "cafes", ["espresso", "pastries"], LARKSPUR),
    ("Crème Brûlée Patisserie", "bakeries", ["croissants", "cakes"], LARKSPUR),
    ("Golden Dragon Dumpling House", "chinese", ["dumplings", "noodles"], LARKSPUR),
    ("Copperfield Locksmith", "locksmiths", ["lockout", "rekeying"], LARKSPUR),
    ("Evergreen Urgent Care", "urgent-care", ["walk-in", "x-ray"], LARKSPUR),
    ("Sparkle Car Wash", "car-wash", ["detailing", "waxing"], LARKSPUR),
    ("Quillfield Pizza Co.", "pizza", ["pizza", "wood-fired"], QUILLFIELD),
    ("Sunrise Bakery", "bakeries", ["bread", "croissants"], QUILLFIELD),
    ("Prairie Plumbing & Drain", "plumbers", ["leak repair", "water heater"], QUILLFIELD),
]

# query, near (None: the whole directory), the businesses expected among the first three
JUDGED: list[tuple[str, dict[str, float] | None, set[str]]] = [
    ("pizza", LARKSPUR, {"Larkspur Pizza Kitchen"}),
    ("piza", LARKSPUR, {"Larkspur Pizza Kitchen"}),
    ("pizz", LARKSPUR, {"Larkspur Pizza Kitchen"}),
    ("pizza", QUILLFIELD, {"Quillfield Pizza Co."}),
    ("Larkspur pizza", None, {"Larkspur Pizza Kitchen"}),
    ("pizza quillfield", None, {"Quillfield Pizza Co."}),
    ("cafe muller", LARKSPUR, {"Café Müller"}),
    ("Café Müller", None, {"Café Müller"}),
    ("mueller", LARKSPUR, {"Café Müller"}),
    ("espresso", LARKSPUR, {"Café Müller"}),
    ("creme brulee", None, {"Crème Brûlée Patisserie"}),
    ("patiserie", LARKSPUR, {"Crème Brûlée Patisserie"}),
    ("croissants", QUILLFIELD, {"Sunrise Bakery"}),
    ("sunrise", QUILLFIELD, {"Sunrise Bakery"}),
    ("sunrise", LARKSPUR, {"Sunrise Dental Care"}),
    ("dentist", LARKSPUR, {"Sunrise Dental Care", "Bright Smiles Family Dentistry"}),
    ("dentst", LARKSPUR, {"Sunrise Dental Care", "Bright Smiles Family Dentistry"}),
    ("family dentistry", LARKSPUR, {"Bright Smiles Family Dentistry"}),
    ("golden dragon", None, {"Golden Dragon Dumpling House"}),
    ("dumplng house", LARKSPUR, {"Golden Dragon Dumpling House"}),
    ("noodles", LARKSPUR, {"Golden Dragon Dumpling House"}),
    ("auto repair", LARKSPUR, {"Quick Fix Auto Repair"}),
    ("mechanic", LARKSPUR, {"Quick Fix Auto Repair"}),
    ("brakes", LARKSPUR, {"Quick Fix Auto Repair"}),
    ("tires", LARKSPUR, {"Larkspur Tire Center"}),
    ("tyres", LARKSPUR, {"Larkspur Tire Center"}),
    ("locksmith", LARKSPUR, {"Copperfield Locksmith"}),
    ("lcoksmith", LARKSPUR, {"Copperfield Locksmith"}),
    ("lockout", LARKSPUR, {"Copperfield Locksmith"}),
    ("urgent care", LARKSPUR, {"Evergreen Urgent Care"}),
    ("urgnt care", LARKSPUR, {"Evergreen Urgent Care"}),
    ("walk-in clinic", LARKSPUR, {"Evergreen Urgent Care"}),
    ("car wash", LARKSPUR, {"Sparkle Car Wash"}),
    ("italian", LARKSPUR, {"Marigold Trattoria"}),
    ("tratoria", LARKSPUR, {"Marigold Trattoria"}),
    ("craft beer", LARKSPUR, {"Hollow Tavern"}),
    ("plumbr", QUILLFIELD, {"Prairie Plumbing & Drain"}),
    ("water heater", QUILLFIELD, {"Prairie Plumbing & Drain"}),
]

SEARCH = """query($q: String!, $near: GeoPointInput) {
  searchBusinesses(query: $q, near: $near, first: 3) { edges { node { name } } } }"""


@pytest.fixture(scope="module")
async def api_url(server_url: str, migrated_template: str) -> AsyncIterator[str]:
    url = await seeded_scratch_database(server_url, migrated_template, businesses=400, reviews=1000, seed=5)
    conn = await connect(url)
    try:
        for n, (name, category, tags, town) in enumerate(LISTINGS):
            await conn.execute("""
                insert into businesses (slug, name, status, primary_category_id, tags, city, state,
                                        latitude, longitude, timezone)
                select $1, $2, 'active', c.id, $3, $4, $5, $6, $7, 'America/Denver'
                  from categories c where c.slug = $8""",
                f"judged-{n}", name, tags, "Larkspur Hollow" if town is LARKSPUR else "Quillfield",
                "NV" if town is LARKSPUR else "MT", town["latitude"] + n * 0.001, town["longitude"], category)
    finally:
        await conn.close()
    settings = dataclasses.replace(Settings.from_env({}))
    with ServerThread(create_app(settings, url)) as server:
        yield server.url


@pytest.mark.parametrize("query, near, expected", JUDGED, ids=[f"{q}@{'near' if n else 'all'}" for q, n, _ in JUDGED])
async def test_the_judged_businesses_are_in_the_first_three(api_url: str, query: str,
                                                          near: dict[str, float] | None,
                                                          expected: set[str]) -> None:
    async with httpx.AsyncClient(base_url=api_url) as http:
        body: dict[str, Any] = (await http.post("/graphql", json={
            "query": SEARCH, "variables": {"q": query, "near": near}})).json()
    assert "errors" not in body, body
    top = [e["node"]["name"] for e in body["data"]["searchBusinesses"]["edges"]]
    assert expected <= set(top), f"{query!r}: expected {sorted(expected)} in the first three, got {top}"


def test_the_judged_set_is_large_enough() -> None:
    assert len(JUDGED) >= 30 and len({(q, str(n)) for q, n, _ in JUDGED}) == len(JUDGED)
