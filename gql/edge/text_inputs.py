"""Text a client sends must be text PostgreSQL can store: no NUL character, no lone UTF-16
surrogate (JSON can carry both; PostgreSQL and UTF-8 refuse them), and at most
MAX_TEXT_LENGTH characters. Checked for every transport before execution: string literals
in the document (the error names the argument) and the operation's variables (the error
names the variable and the path inside it)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from graphql import (
    ArgumentNode,
    GraphQLError,
    ListValueNode,
    ObjectValueNode,
    StringValueNode,
    ValidationRule,
)
from graphql.language import ValueNode
from strawberry.extensions import SchemaExtension

from gql.edge.plain_text import text_problem
from gql.edge.request_checks import MAX_JSON_DEPTH

MAX_TEXT_LENGTH = 10_000
"""No string argument of the schema needs more (a review is at most 5,000 characters);
tighter limits are the resolvers' (search text 200, filters 200, clientId 200)."""


def input_text_problem(value: str) -> str | None:
    if len(value) > MAX_TEXT_LENGTH:
        return f"is longer than {MAX_TEXT_LENGTH} characters"
    return text_problem(value)


def _bad_text(where: str, problem: str, argument: str | None = None) -> GraphQLError:
    extensions: dict[str, Any] = {"code": "BAD_USER_INPUT"}
    if argument is not None:
        extensions["argument"] = argument
    return GraphQLError(f"{where} {problem}.", extensions=extensions)


class TextLiterals(ValidationRule):
    def enter_argument(self, node: ArgumentNode, *_args: Any) -> None:
        self._check(node.value, node.name.value, f'Argument "{node.name.value}"')

    def _check(self, value: ValueNode, argument: str, where: str) -> None:
        if isinstance(value, StringValueNode):
            problem = input_text_problem(value.value)
            if problem:
                self.report_error(_bad_text(where, problem, argument))
        elif isinstance(value, ListValueNode):
            for item in value.values:
                self._check(item, argument, where)
        elif isinstance(value, ObjectValueNode):
            for field in value.fields:
                self._check(field.value, argument, f"{where} (field {field.name.value})")


def variable_problem(value: Any, path: str, depth: int = 0) -> str | None:
    if depth > MAX_JSON_DEPTH:
        return f"Variable {path} is nested more than {MAX_JSON_DEPTH} levels deep"
    if isinstance(value, str):
        problem = input_text_problem(value)
        return f"Variable {path} {problem}" if problem else None
    if isinstance(value, dict):
        items = list(value.items())
    elif isinstance(value, list):
        items = [(f"[{i}]", item) for i, item in enumerate(value)]
    else:
        return None
    for key, item in items:
        inner = f"{path}{key}" if str(key).startswith("[") else f"{path}.{key}"
        found = variable_problem(item, inner, depth + 1)
        if found:
            return found
    return None


class TextVariables(SchemaExtension):
    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        for name, value in (context.variables or {}).items():
            problem = variable_problem(value, f"${name}")
            if problem:  # refused before execution, whatever validation finds
                context.pre_execution_errors = [*(context.pre_execution_errors or []), GraphQLError(
                    f"{problem}.", extensions={"code": "BAD_USER_INPUT", "variable": name})]
                break
        yield
