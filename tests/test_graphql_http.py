"""GraphQL over HTTP as the specification has it: graphql-http's audit (run with Node, as
clients of the API would), and the cases it found here before."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import httpx
import pytest

from tests.support import ServerThread

AUDIT_DIR = Path(__file__).with_name("http_audit")
GRAPHQL_RESPONSE = "application/graphql-response+json"


def node_audit(url: str) -> dict[str, object]:
    npm, node = shutil.which("npm"), shutil.which("node")
    if npm is None or node is None:
        pytest.skip("Node.js is not installed (.ci/run installs it)")
    if not (AUDIT_DIR / "node_modules" / "graphql-http").exists():
        subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=AUDIT_DIR, check=True, capture_output=True)
    done = subprocess.run([node, "audit.mjs", url], cwd=AUDIT_DIR, check=True, capture_output=True, text=True,
                          timeout=120)
    summary: dict[str, object] = json.loads(done.stdout)
    return summary


def test_the_graphql_over_http_audit_passes_without_warnings(api_server: ServerThread) -> None:
    summary = node_audit(f"{api_server.url}/graphql")
    assert summary["error"] == [] and summary["warn"] == [], json.dumps(summary, indent=1)
    assert isinstance(summary["ok"], int) and summary["ok"] > 50


async def test_request_errors_are_400_with_graphql_response_json(api_server: ServerThread) -> None:
    async with httpx.AsyncClient(base_url=api_server.url) as http:
        for query in ("{ categories {", "{ nosuchfield }"):
            answer = await http.post("/graphql", json={"query": query}, headers={"accept": GRAPHQL_RESPONSE})
            assert answer.status_code == 400 and answer.headers["content-type"].startswith(GRAPHQL_RESPONSE)
            assert "data" not in answer.json() and answer.json()["errors"]
            legacy = await http.post("/graphql", json={"query": query}, headers={"accept": "application/json"})
            assert legacy.status_code == 200 and legacy.headers["content-type"].startswith("application/json")
        ok = await http.post("/graphql", json={"query": "{ categories { slug } }"}, headers={"accept": GRAPHQL_RESPONSE})
        assert ok.status_code == 200 and ok.json()["data"]["categories"]


async def test_a_mutation_over_get_is_405_with_allow_post(api_server: ServerThread) -> None:
    async with httpx.AsyncClient(base_url=api_server.url) as http:
        answer = await http.get("/graphql", params={"query": 'mutation { logIn(email: "a@b.c", password: "x") { token } }'},
                                headers={"accept": "application/json"})
    assert answer.status_code == 405 and answer.headers["allow"] == "POST"
    assert answer.json()["errors"][0]["message"]


async def test_refusals_outside_graphql_are_graphql_error_documents(api_server: ServerThread) -> None:
    async with httpx.AsyncClient(base_url=api_server.url) as http:
        for answer in (await http.post("/graphql", content=b"{not json", headers={"content-type": "application/json"}),
                       await http.post("/graphql", content=b"x", headers={"content-type": "text/plain"}),
                       await http.put("/graphql", json={"query": "{ categories { slug } }"})):
            assert answer.status_code in (400, 405, 415), answer
            assert answer.json()["errors"][0]["message"], answer.text


async def test_a_syntax_error_over_websocket_is_an_error_message(api_server: ServerThread) -> None:
    from tests.support import FeedClient

    async with FeedClient(api_server.port) as client:
        op = await client.subscribe("subscription { changes {")
        message = await client.message()
        assert message["id"] == op and message["type"] == "error", message
        assert "Syntax Error" in message["payload"][0]["message"]
