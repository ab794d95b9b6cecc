"""What one document may ask for: depth, aliases and field selections counted after fragment
expansion, in time linear in the document's size whatever its fragments.

Strawberry's QueryDepthLimiter and MaxAliasesLimiter walk into a fragment again at every
spread, so their time doubles with each level of nested fragments (an 837-byte document of 20
doubling fragments took 8 s of the event loop). Here each fragment's figures are computed
once, fragments in dependency order, and reused at every spread. The walk inside one
selection set stops below the depth limit (such a document is refused anyway), so recursion
stays shallow too.

Depth counts the root field as 1: `{ categories { children { name } } }` is 3 deep.
Introspection fields (`__schema`, `__type`) add no depth (GraphiQL's introspection query is
deeper than any data query needs) but their selections count like any other.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValidationRule,
)

MAX_DEPTH = 12
MAX_ALIASES = 30
MAX_SELECTIONS = 2000
"""Field selections after fragment expansion (GraphiQL's introspection query has 247)."""


@dataclass(frozen=True)
class Figures:
    depth: int = 0
    aliases: int = 0
    selections: int = 0

    def beside(self, other: Figures) -> Figures:
        # Capped: a fragment bomb's true counts are astronomically large and not needed.
        return Figures(max(self.depth, other.depth), min(self.aliases + other.aliases, MAX_ALIASES + 1),
                       min(self.selections + other.selections, MAX_SELECTIONS + 1))


def _spreads(selection_set: SelectionSetNode | None, level: int = 0) -> set[str]:
    names: set[str] = set()
    if selection_set is None or level > MAX_DEPTH + 1:
        return names
    for selection in selection_set.selections:
        if isinstance(selection, FragmentSpreadNode):
            names.add(selection.name.value)
        elif isinstance(selection, FieldNode | InlineFragmentNode):
            names |= _spreads(selection.selection_set, level + 1)
    return names


def _in_dependency_order(fragments: dict[str, FragmentDefinitionNode]) -> list[str]:
    """Fragment names, each after those it spreads (cycles broken: NoFragmentCycles reports
    them)."""
    uses = {name: _spreads(fragment.selection_set) & fragments.keys() for name, fragment in fragments.items()}
    order: list[str] = []
    state: dict[str, str] = {}
    for root in fragments:
        if root in state:
            continue
        stack = [(root, iter(sorted(uses[root])))]
        state[root] = "open"
        while stack:
            name, pending = stack[-1]
            used = next(pending, None)
            if used is None:
                stack.pop()
                state[name] = "done"
                order.append(name)
            elif used not in state:
                state[used] = "open"
                stack.append((used, iter(sorted(uses[used]))))
    return order


class DocumentCost(ValidationRule):
    def enter_document(self, node: DocumentNode, *_args: Any) -> Any:
        fragments = {d.name.value: d for d in node.definitions if isinstance(d, FragmentDefinitionNode)}
        known: dict[str, Figures] = {}

        def figures(selection_set: SelectionSetNode | None, level: int) -> Figures:
            total = Figures()
            if selection_set is None:
                return total
            if level > MAX_DEPTH:  # refused anyway: stop walking
                return Figures(depth=MAX_DEPTH + 1)
            for selection in selection_set.selections:
                if isinstance(selection, FieldNode):
                    inner = figures(selection.selection_set, level + 1)
                    introspection = selection.name.value.startswith("__")
                    total = total.beside(Figures(0 if introspection else inner.depth + 1,
                                                 inner.aliases + (1 if selection.alias else 0),
                                                 inner.selections + 1))
                elif isinstance(selection, InlineFragmentNode):
                    total = total.beside(figures(selection.selection_set, level))
                elif isinstance(selection, FragmentSpreadNode):
                    total = total.beside(known.get(selection.name.value, Figures()))
            return total

        for name in _in_dependency_order(fragments):
            known[name] = figures(fragments[name].selection_set, 0)
        for definition in node.definitions:
            if isinstance(definition, OperationDefinitionNode):
                self._check(definition, figures(definition.selection_set, 0))
        return self.BREAK  # the other rules walk the document; this one has seen enough

    def _check(self, operation: OperationDefinitionNode, cost: Figures) -> None:
        name = f"'{operation.name.value}'" if operation.name else "The operation"
        if cost.depth > MAX_DEPTH:
            self.report_error(GraphQLError(
                f"{name} is nested more than {MAX_DEPTH} levels deep.", operation,
                extensions={"code": "QUERY_TOO_COMPLEX", "limit": "depth", "max": MAX_DEPTH}))
        if cost.aliases > MAX_ALIASES:
            self.report_error(GraphQLError(
                f"{name} uses more than {MAX_ALIASES} aliases.", operation,
                extensions={"code": "QUERY_TOO_COMPLEX", "limit": "aliases", "max": MAX_ALIASES}))
        if cost.selections > MAX_SELECTIONS:
            self.report_error(GraphQLError(
                f"{name} selects more than {MAX_SELECTIONS} fields once its fragments are expanded.",
                operation, extensions={"code": "QUERY_TOO_COMPLEX", "limit": "selections",
                                       "max": MAX_SELECTIONS}))
