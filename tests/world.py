"""A small world for write tests: categories, people in every role, and their businesses,
made through the API itself (plus one superuser step: granting the admin role)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from gql.database import connect
from tests.support import GraphQLClient, ServerThread

PASSWORD = "correct horse battery staple"

SIGN_UP = """mutation($email: String!, $password: String!, $name: String!) {
  signUp(email: $email, password: $password, displayName: $name) {
    token user { id email displayName roles } errors { field message code } } }"""
LOG_IN = """mutation($email: String!, $password: String!) {
  logIn(email: $email, password: $password) { token expiresAt user { id roles } errors { field message code } } }"""
CREATE_BUSINESS = """mutation($input: BusinessInput!, $publish: Boolean!, $key: String) {
  createBusiness(input: $input, publish: $publish, idempotencyKey: $key) {
    business { id slug name status version owner { id } } errors { field message code } } }"""
CREATE_CATEGORY = """mutation($input: CategoryInput!) {
  createCategory(input: $input) { category { id slug } errors { field message code } } }"""


@dataclass
class Person:
    id: str
    email: str
    token: str
    client: GraphQLClient


@dataclass
class World:
    url: str
    anonymous: GraphQLClient
    owner: Person
    manager: Person
    other: Person
    reviewer: Person
    admin: Person
    moderator: Person
    category_id: str
    subcategory_id: str
    listed_id: str
    draft_id: str
    server: ServerThread | None = None

    @property
    def port(self) -> int:
        assert self.server is not None
        return self.server.port

    def business_input(self, **overrides: Any) -> dict[str, Any]:
        return {"name": "Test Pizza", "primaryCategoryId": self.subcategory_id, "city": "Austin",
                "state": "TX", "timezone": "America/Chicago",
                "hours": [{"day": "MONDAY", "opens": "09:00", "closes": "17:00"}]} | overrides


async def sign_up(anonymous: GraphQLClient, email: str, name: str) -> Person:
    payload = await anonymous.mutate(SIGN_UP, {"email": email, "password": PASSWORD, "name": name})
    assert payload["errors"] == [], payload
    return Person(payload["user"]["id"], email, payload["token"], anonymous.as_user(payload["token"]))


async def log_in(anonymous: GraphQLClient, email: str) -> Person:
    payload = await anonymous.mutate(LOG_IN, {"email": email, "password": PASSWORD})
    assert payload["errors"] == [], payload
    return Person(payload["user"]["id"], email, payload["token"], anonymous.as_user(payload["token"]))


async def build_world(url: str, anonymous: GraphQLClient) -> World:
    people = {role: await sign_up(anonymous, f"{role}@example.com", role.title())
              for role in ("owner", "manager", "other", "reviewer", "admin", "moderator")}
    conn = await connect(url)
    try:
        await conn.execute("insert into user_roles (user_id, role) values ($1, 'admin'), ($2, 'moderator')",
                           people["admin"].id, people["moderator"].id)
        # Established accounts: flags of accounts younger than a week weigh nothing.
        await conn.execute("update users set created_at = now() - interval '30 days' where id = any($1::uuid[])",
                           [p.id for p in people.values()])
    finally:
        await conn.close()
    admin = await log_in(anonymous, "admin@example.com")
    moderator = await log_in(anonymous, "moderator@example.com")  # (a token with the role)
    assert "admin" in (await admin.client.data("{ me { roles } }"))["me"]["roles"]
    food = await admin.client.mutate(CREATE_CATEGORY, {"input": {"name": "Food", "slug": "food"}})
    pizza = await admin.client.mutate(CREATE_CATEGORY, {"input": {
        "name": "Pizza", "slug": "pizza", "parentId": food["category"]["id"]}})
    world = World(url=url, anonymous=anonymous, owner=people["owner"], manager=people["manager"],
                  other=people["other"], reviewer=people["reviewer"], admin=admin, moderator=moderator,
                  category_id=food["category"]["id"], subcategory_id=pizza["category"]["id"],
                  listed_id="", draft_id="")
    listed = await world.owner.client.mutate(CREATE_BUSINESS, {
        "input": world.business_input(name="Listed Pizza"), "publish": True, "key": None})
    draft = await world.owner.client.mutate(CREATE_BUSINESS, {
        "input": world.business_input(name="Draft Pizza"), "publish": False, "key": None})
    assert listed["errors"] == [] and draft["errors"] == [], (listed, draft)
    world.listed_id = listed["business"]["id"]
    world.draft_id = draft["business"]["id"]
    conn = await connect(url)
    try:  # the owner names a manager (there is no mutation for that yet)
        await conn.execute("insert into business_managers (business_id, user_id) values ($1, $2), ($3, $2)",
                           world.listed_id, world.manager.id, world.draft_id)
    finally:
        await conn.close()
    return world
