"""What an HTTP request to /graphql must be before GraphQL sees it.

The body is read here, at most `max_body_bytes` of it (a larger one is answered 413 and read
no further), then checked: a JSON body must be valid UTF-8, nested at most MAX_JSON_DEPTH
deep, an object whose `query` and `operationName` are strings, `variables` and `extensions`
objects, or an array of at most `max_batch` such objects (a batch); a GET's parameters
likewise; an `application/graphql` body, text. Every refusal is a 4xx whose body is a GraphQL error
naming what was wrong. What passes is handed on unchanged. (Text inside the arguments is
checked by the schema, for every transport: gql/edge/text_inputs.py.)
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.types import Message, Receive, Scope

from gql.edge.plain_text import text_problem

MAX_JSON_DEPTH = 64
REQUEST_FIELDS = {"query": str, "operationName": str, "variables": dict, "extensions": dict,
                  "documentId": str, "doc_id": str}


class BadRequest(Exception):
    def __init__(self, message: str, status: int = 400, code: str = "BAD_REQUEST") -> None:
        super().__init__(message)
        self.status = status
        self.code = code


@dataclass
class CheckedRequest:
    receive: Receive
    """Replays the body that was read, for the application."""
    body: dict[str, Any] | None = None
    """A JSON POST body, as parsed here (for gql/compiled/fast_path.py)."""


async def check_request(scope: Scope, receive: Receive, max_body_bytes: int,
                        max_batch: int) -> CheckedRequest:
    """The request, read and checked; raises BadRequest."""
    request = Request(scope)
    if request.method == "GET":
        _check_get(request)
        return CheckedRequest(receive)
    body = await _read_body(request, receive, max_body_bytes)
    parsed = None
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if "application/json" in content_type:  # (what Strawberry reads as JSON: application/jsonx too)
        checked = _check_json_body(body, max_batch)
        parsed = checked if isinstance(checked, dict) else None
    elif content_type == "application/graphql":  # the document itself
        problem = text_problem(_utf8(body))
        if problem:
            raise BadRequest(f"The document {problem}.")
    return CheckedRequest(_replay(body, receive), parsed)


async def _read_body(request: Request, receive: Receive, limit: int) -> bytes:
    too_large = BadRequest(f"The request body is larger than {limit} bytes.", 413, "PAYLOAD_TOO_LARGE")
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise too_large
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise BadRequest("The client went away.", 400)
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise too_large
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Callable[[], Awaitable[Message]]:
    """The body read here, then the client's own messages (a stream's response listens for
    the real disconnect)."""
    sent = False

    async def replayed() -> Message:
        nonlocal sent
        if sent:
            return await receive()
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}
    return replayed


def _utf8(body: bytes) -> str:
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        raise BadRequest("The request body is not valid UTF-8.") from None


def _check_json_body(body: bytes, max_batch: int) -> dict[str, Any] | list[dict[str, Any]]:
    """An operation (an object), or a batch of them (an array of at most max_batch)."""
    try:
        data = json.loads(_utf8(body))
    except RecursionError:
        raise BadRequest(f"The request body is nested more than {MAX_JSON_DEPTH} levels deep.") from None
    except ValueError:
        raise BadRequest("The request body is not valid JSON.") from None
    if isinstance(data, list):
        if not 0 < len(data) <= max_batch:
            raise BadRequest(f"A batch holds 1 to {max_batch} operations; this one has {len(data)}.")
        if not all(isinstance(item, dict) for item in data):
            raise BadRequest("Each operation of a batch must be a JSON object with a `query`.")
        for item in data:
            check_fields(item)
        return data
    if not isinstance(data, dict):
        raise BadRequest("The request body must be a JSON object with a `query`, or an array of them.")
    check_fields(data)
    return data


def _check_get(request: Request) -> None:
    params = dict(request.query_params)
    data: dict[str, Any] = {k: v for k, v in params.items() if k in ("query", "operationName")}
    for name in ("variables", "extensions"):
        if name in params:
            try:
                data[name] = json.loads(params[name])
            except RecursionError:
                raise BadRequest(f"`{name}` is nested more than {MAX_JSON_DEPTH} levels deep.") from None
            except ValueError:
                raise BadRequest(f"`{name}` is not valid JSON.") from None
    check_fields(data)


def check_fields(data: dict[str, Any]) -> None:
    for name, kind in REQUEST_FIELDS.items():
        value = data.get(name)
        if value is not None and not isinstance(value, kind):
            expected = "a string" if kind is str else "an object"
            raise BadRequest(f"`{name}` must be {expected}.")
    problem = _request_text_problem(data)
    if problem:
        raise BadRequest(f"{problem}.")


def _request_text_problem(data: dict[str, Any]) -> str | None:
    """Why the document, operation name or extensions are not text this server can hash, log
    and answer with (a lone UTF-16 surrogate, a NUL), or None. (Variables are the schema's to
    check: its error names the variable.)"""
    for name in ("query", "operationName", "documentId", "doc_id"):
        value = data.get(name)
        problem = text_problem(value) if isinstance(value, str) else None
        if problem:
            return f"`{name}` {problem}"
    return _nested_text_problem(data.get("extensions"), "`extensions`")


def _nested_text_problem(value: Any, where: str) -> str | None:
    if isinstance(value, str):
        problem = text_problem(value)
        return f"{where} {problem}" if problem else None
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, item in items:
        problem = _nested_text_problem(key, where) if isinstance(key, str) else None
        problem = problem or _nested_text_problem(item, where)
        if problem:
            return problem
    return None
