"""From a validated query to one SQL statement that returns the finished `data` JSON.

Mutations are compiled where the whole write is one SQL function whose payload needs nothing
more (the analytics recorders, called for every page view): the statement writes and
answers in one round trip, and a refusal of the function fails it, so the interpreter
answers that request with its payload errors (nothing was written).

The statement calls the same `api` functions the resolvers and loaders call, under the same
role, so row-level security decides the same way; every value (arguments, variables) is a
parameter, never text in the statement. The compiler covers a part of the schema (the
`_FIELDS` tables below); for anything else it raises NotCompiled and
the interpreter (Strawberry with its dataloaders) answers, as it does for every argument the
resolvers would refuse: the interpreter's error is then the only one there is.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import Enum
from functools import cache
from typing import Any
from uuid import UUID

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLInputType,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    ListValueNode,
    ObjectValueNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    Undefined,
    ValueNode,
    VariableNode,
    is_input_type,
)
from graphql.utilities import coerce_input_value, type_from_ast, value_from_ast

from gql.arguments.weekdays import Weekday
from gql.entities.business import BUSINESSES as BUSINESS_TABLE
from gql.entities.category import CATEGORIES as CATEGORY_TABLE
from gql.entities.columns import Table
from gql.entities.review import RESPONSES as RESPONSE_TABLE
from gql.entities.review import REVIEWS as REVIEW_TABLE
from gql.errors import BadArgument
from gql.realtime.change import EVENT_POSITION
from gql.resolvers.analytics import window
from gql.resolvers.businesses import BusinessFilter
from gql.resolvers.changes import CURSOR_KIND as CHANGE_CURSOR_KIND
from gql.resolvers.changes import decode_change_cursor
from gql.resolvers.ids import parse_id
from gql.resolvers.orderings import (
    BUSINESSES,
    CLAIMS_ORDER,
    COLUMN_TYPES,
    MINE_ORDER,
    QUEUE_ORDER,
    REVIEWS,
    SEARCH_RESULTS,
    Ordering,
)
from gql.resolvers.paging import check_first, check_page_size, decode_cursor
from gql.resolvers.search import Point, SearchRequest, checked_autocomplete, checked_radius

MAX_OBJECT_KEYS = 50
"""json_build_object takes at most 100 arguments: an object with more keys is not compiled."""


class NotCompiled(Exception):
    """The compiler does not cover this document (the message says why): interpret it."""

    shaping: frozenset[str] = frozenset()
    """The variables whose values led to this answer (see Statement.shaping)."""


@dataclass(frozen=True)
class Binding:
    """A parameter that is a variable's value as given (or as `convert` turns it): another
    request of the same shape sets it from its own value, without compiling again."""

    slot: int
    variable: str
    type_: GraphQLInputType
    sql_type: str
    convert: Callable[[Any], Any] | None = None


@dataclass(frozen=True)
class Statement:
    sql: str
    params: list[str | None]
    """$1 of the statement, a text[]: each value as text, cast where it is used."""
    valid_on: date | None = None
    """The UTC day it holds for, when it holds only for one (a default window ending today)."""
    writes: bool = False
    """A mutation's statement (it must run on the primary)."""
    bindings: tuple[Binding, ...] = ()
    """The parameters that are variables' values (gql/compiled/plans.py sets them per request)."""
    shaping: frozenset[str] = frozenset()
    """The variables whose values the statement's text depends on (a page size, a filter, an
    @include): a plan is kept per value of these, and per presence and nullness of every
    variable; any other variable is a Binding or not read at all."""
    unread: tuple[tuple[str, GraphQLInputType], ...] = ()
    """The operation's other variables, with their types: not read (under a skipped field),
    but a request's value for one must still be a valid one (plans.py checks it)."""


def compile_query(schema: GraphQLSchema, document: DocumentNode, operation_name: str | None,
                  variables: dict[str, Any] | None) -> Statement:
    """A query, or one of the mutations in _FIELDS["Mutation"]."""
    return _compiled(_Compiler(schema, document, operation_name, variables or {},
                               (OperationType.QUERY, OperationType.MUTATION)))


def compile_event(schema: GraphQLSchema, document: DocumentNode, operation_name: str | None,
                  variables: dict[str, Any] | None) -> Statement:
    """A sync-feed subscription's answer to one change: its `data` JSON, or null when the
    caller may not see the change (the change log's row-level policy decides). The first
    parameter is the change's position, set per event (EVENT_POSITION)."""
    return _compiled(_Compiler(schema, document, operation_name, variables or {},
                               (OperationType.SUBSCRIPTION,)))


def _compiled(compiler: _Compiler) -> Statement:
    try:
        return compiler.statement()
    except NotCompiled as why:
        why.shaping = frozenset(compiler.shaping)
        raise


ROOT_TYPES = ("Query", "Mutation", "Subscription")
REFUSED_HERE = ("(select null::json from api.raise_user_error('GQ400', null,"
                " 'an argument the interpreter refuses'))")
"""A field whose argument the interpreter would refuse: the statement fails if it is reached
(a user error, so the interpreter answers; gql/compiled/extension.py)."""



Fields = dict[str, list[FieldNode]]


class _Compiler:
    def __init__(self, schema: GraphQLSchema, document: DocumentNode, operation_name: str | None,
                 raw_variables: dict[str, Any], kinds: tuple[OperationType, ...]) -> None:
        self.schema = schema
        operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
        chosen = [o for o in operations if operation_name is None or
                  (o.name is not None and o.name.value == operation_name)]
        if len(chosen) != 1:
            raise NotCompiled("no single operation to run")
        self.operation = chosen[0]
        if self.operation.operation not in kinds:
            raise NotCompiled(f"a {self.operation.operation.value}")
        self.fragments = {d.name.value: d for d in document.definitions
                          if isinstance(d, FragmentDefinitionNode)}
        self.shaping: set[str] = set()
        """Variables whose values shaped the statement so far (Statement.shaping)."""
        self.bindings: list[Binding] = []
        self.variable_types: dict[str, GraphQLInputType] = {}
        self.given = {name for name, value in raw_variables.items() if value is not None}
        """Variables given a value in the request (not defaulted, not null)."""
        self.variables = self._coerced_variables(raw_variables)
        event = self.operation.operation == OperationType.SUBSCRIPTION
        self.params: list[str | None] = [None] if event else []
        self.aliases = 0
        self.valid_on: date | None = None
        self.change_pages: dict[str, str] = {}
        """Row aliases of change-log pages: the SQL of their `first`."""
        self.change_ends: dict[str, str] = {}
        """Row aliases of change-log pages: the SQL of their `after` (the end of an empty page)."""
        self.located: set[str] = set()
        """Row aliases of businesses found near a point (search, nearby): with distance, bearing."""

    # --- values -------------------------------------------------------------------------------

    def _coerced_variables(self, raw: dict[str, Any]) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for definition in self.operation.variable_definitions or ():
            name = definition.variable.name.value
            type_ = type_from_ast(self.schema, definition.type)
            if type_ is None or not is_input_type(type_):
                raise NotCompiled(f"unknown type of ${name}")
            self.variable_types[name] = type_
            if name in raw:
                try:
                    values[name] = coerce_input_value(raw[name], type_)
                except GraphQLError as exc:
                    self.shaping.add(name)  # this value, not the next one of its shape
                    raise NotCompiled(f"${name}: {exc.message}") from exc
            elif definition.default_value is not None:
                values[name] = value_from_ast(definition.default_value, type_)
        return values

    def _arguments(self, parent: GraphQLObjectType, node: FieldNode) -> Arguments:
        field_def = parent.fields[node.name.value]
        given = {a.name.value: a.value for a in node.arguments or ()}
        arguments = Arguments(self.shaping)
        for name, arg in field_def.args.items():
            value_node = given.get(name)
            if value_node is None or (isinstance(value_node, VariableNode)
                                      and value_node.name.value not in self.variables):
                arguments.by_name[name] = None if arg.default_value is Undefined else plain(arg.default_value)
                continue
            arguments.reads[name] = _variables_in(value_node)
            if isinstance(value_node, VariableNode) and value_node.name.value in self.given:
                arguments.direct[name] = value_node.name.value
            value = value_from_ast(value_node, arg.type, self.variables)
            if value is Undefined:
                raise NotCompiled(f"argument {name} is not valid")
            arguments.by_name[name] = plain(value)
        return arguments

    def param(self, value: Any, sql_type: str) -> str:
        self.params.append(param_text(value, sql_type))
        index = len(self.params)
        if sql_type in ("text[]", "int2[]"):  # a JSON array, unpacked (an array literal would need quoting)
            given = f"($1[{index}])::jsonb"
            element = sql_type.removesuffix("[]")
            return (f"case when {given} is not null then"
                    f" array(select e::{element} from jsonb_array_elements_text({given}) e) end")
        return f"($1[{index}])::{sql_type}"

    def bound(self, f: Field, name: str, sql_type: str, convert: Callable[[Any], Any] | None = None) -> str:
        """The parameter of argument `name`: bound to its variable when it is one, so that
        the plan serves every value of it. `convert` (pure, of the value alone) makes the
        parameter; a value it refuses keys the plan by that value."""
        value, variable = f.args.by_name[name], f.args.direct.get(name)
        if convert is not None:
            try:
                value = convert(value)
            except Exception:
                f.args.shaping.update(f.args.reads.get(name, ()))
                raise
        sql = self.param(value, sql_type)
        if variable is not None:
            self.bindings.append(Binding(len(self.params) - 1, variable, self.variable_types[variable],
                                         sql_type, convert))
        return sql

    def alias(self) -> str:
        self.aliases += 1
        return f"t{self.aliases}"

    # --- selections ---------------------------------------------------------------------------

    def _included(self, node: Any) -> bool:
        for directive in node.directives or ():
            name = directive.name.value
            if name not in ("skip", "include"):
                continue
            (argument,) = directive.arguments
            self.shaping.update(_variables_in(argument.value))
            value = value_from_ast(argument.value, self.schema.get_type("Boolean"),  # type: ignore[arg-type]
                                   self.variables)
            if value is Undefined or value is None:
                raise NotCompiled(f"@{name} without a value")
            if (name == "skip") == bool(value):
                return False
        return True

    def collect(self, type_: GraphQLObjectType, selection_sets: list[SelectionSetNode]) -> Fields:
        """The fields of these selections on an object of this type, by response key, in
        order (graphql's CollectFields: fragments spread, @skip/@include applied)."""
        fields: Fields = {}
        spread: set[str] = set()

        def visit(selection_set: SelectionSetNode) -> None:
            for selection in selection_set.selections:
                if not self._included(selection):
                    continue
                if isinstance(selection, FieldNode):
                    key = (selection.alias or selection.name).value
                    fields.setdefault(key, []).append(selection)
                elif isinstance(selection, InlineFragmentNode):
                    if self._applies(selection.type_condition, type_):
                        visit(selection.selection_set)
                elif isinstance(selection, FragmentSpreadNode):
                    name = selection.name.value
                    fragment = self.fragments.get(name)
                    if name in spread or fragment is None:
                        continue
                    spread.add(name)
                    if self._applies(fragment.type_condition, type_):
                        visit(fragment.selection_set)

        for selection_set in selection_sets:
            visit(selection_set)
        if len(fields) > MAX_OBJECT_KEYS:
            raise NotCompiled(f"more than {MAX_OBJECT_KEYS} fields in one object")
        return fields

    def _applies(self, condition: Any, type_: GraphQLObjectType) -> bool:
        if condition is None or condition.name.value == type_.name:
            return True
        named = self.schema.get_type(condition.name.value)
        return named is not None and self.schema.is_sub_type(named, type_)  # type: ignore[arg-type]

    def object_json(self, type_name: str, selection_sets: list[SelectionSetNode], source: str) -> str:
        """json_build_object of these selections on the object whose row is `source`."""
        type_ = self.schema.get_type(type_name)
        assert isinstance(type_, GraphQLObjectType)
        fields = _FIELDS.get(type_name)
        if fields is None:
            raise NotCompiled(f"type {type_name}")
        parts = []
        for key, nodes in self.collect(type_, selection_sets).items():
            name = nodes[0].name.value
            if name == "__typename":
                sql = f"'{type_name}'::text"
            elif name not in fields:
                field = f"{type_name}.{name}"
                why = INTERPRETED.get(field) or INTERPRETED.get(f"{type_name}.*", "not compiled")
                raise NotCompiled(f"{field}: {why}")
            else:
                subselections = [n.selection_set for n in nodes if n.selection_set is not None]
                try:
                    sql = fields[name](self, Field(source, self._arguments(type_, nodes[0]), subselections))
                except BadArgument as exc:  # the interpreter reports it, as it always has
                    if type_name in ROOT_TYPES or self.operation.operation == OperationType.SUBSCRIPTION:
                        raise NotCompiled(f"{type_name}.{name}: {exc}") from exc
                    # Under a parent that may be null (a business not found), the field may never
                    # be resolved, and then nothing refuses it: the statement refuses it only
                    # where it is reached, and the interpreter answers then, with its error. (A
                    # subscription's event cannot fall back that way: it is interpreted.)
                    sql = REFUSED_HERE
            parts.append(f"'{key}', {sql}")
        return f"json_build_object({', '.join(parts)})"

    def statement(self) -> Statement:
        if self.operation.operation == OperationType.SUBSCRIPTION:
            data = self.object_json("Subscription", [self.operation.selection_set], "")
            return self._made(f"select case when exists (select from change_log e where e.seq = {_EVENT})"
                              f" then {data}::text end")
        if self.operation.operation == OperationType.MUTATION:
            mutation = self.schema.mutation_type
            assert mutation is not None
            if len(self.collect(mutation, [self.operation.selection_set])) != 1:
                raise NotCompiled("a mutation of several fields (they run one after another)")
            data = self.object_json("Mutation", [self.operation.selection_set], "")
            return self._made(f"select {data}::text", writes=True)
        data = self.object_json("Query", [self.operation.selection_set], "")
        return self._made(f"select {data}::text")

    def _made(self, sql: str, *, writes: bool = False) -> Statement:
        shaping = frozenset(self.shaping)
        # A variable read as a value somewhere is keyed by it: it needs no binding elsewhere.
        bindings = tuple(b for b in self.bindings if b.variable not in shaping)
        bound = {b.variable for b in bindings}
        unread = tuple((name, type_) for name, type_ in self.variable_types.items()
                       if name not in shaping and name not in bound)
        return Statement(sql, self.params, self.valid_on, writes, bindings, shaping, unread)

    # --- shared shapes ------------------------------------------------------------------------

    def one(self, type_name: str, field: Field, rows: str) -> str:
        """The object of the one row `rows` yields (null without one)."""
        a = self.alias()
        return f"(select {self.object_json(type_name, field.selections, a)} from {rows.format(a=a)} limit 1)"

    def each(self, type_name: str, field: Field, rows: str, order: str) -> str:
        """A JSON array of the objects of `rows`, in `order`; [] without rows."""
        a = self.alias()
        item = self.object_json(type_name, field.selections, a)
        return (f"(select coalesce(json_agg({item} order by {order.format(a=a)}), '[]'::json)"
                f" from {rows.format(a=a)})")

    def connection(self, node_type: str, field: Field, rows: str, ordering: Ordering, order: str,
                   first: int, after_given: bool, total: Callable[[], str], *, located: bool = False,
                   type_name: str | None = None, extra: dict[str, Callable[[str], str]] | None = None) -> str:
        """A Relay connection over `rows` (a function call fetching first + 1 rows in order,
        {a} its alias, with ordinality); cursors as paging.encode_cursor makes them."""
        a, x = self.alias(), self.alias()
        if located:
            self.located.add(a)
        order_param = self.param(order, "text")
        first_sql = self.param(first, "int")
        key = ", ".join(_key_sql(a, c) for c in ordering.sort_keys[order])
        columns = [f"{a}.ordinality as n",
                   f"api.page_cursor({order_param}, jsonb_build_array({key})) as cursor"]
        connection_type = self.schema.get_type(type_name or f"{node_type}Connection")
        edge_type = self.schema.get_type(f"{node_type}Edge")
        page_info_type = self.schema.get_type("PageInfo")
        assert isinstance(connection_type, GraphQLObjectType) and isinstance(edge_type, GraphQLObjectType)
        assert isinstance(page_info_type, GraphQLObjectType)
        kept = f"filter (where {x}.n <= {first_sql})"
        parts = []
        for key_name, nodes in self.collect(connection_type, field.selections).items():
            name = nodes[0].name.value
            selections = [n.selection_set for n in nodes if n.selection_set is not None]
            if name == "__typename":
                sql = f"'{connection_type.name}'::text"
            elif name == "totalCount":
                sql = total()
            elif extra is not None and name in extra:
                sql = extra[name](kept)
            elif name == "edges":
                edge_parts = []
                for edge_key, edge_nodes in self.collect(edge_type, selections).items():
                    edge_name = edge_nodes[0].name.value
                    if edge_name == "__typename":
                        edge_parts.append(f"'{edge_key}', '{edge_type.name}'::text")
                    elif edge_name == "cursor":
                        edge_parts.append(f"'{edge_key}', {x}.cursor")
                    else:  # node
                        column = f"node{len(columns)}"
                        node_selections = [n.selection_set for n in edge_nodes if n.selection_set]
                        node = self.object_json(node_type, node_selections, a)
                        columns.append(f"case when {a}.ordinality <= {first_sql} then {node} end as {column}")
                        edge_parts.append(f"'{edge_key}', {x}.{column}")
                sql = (f"coalesce(json_agg(json_build_object({', '.join(edge_parts)}) order by {x}.n)"
                       f" {kept}, '[]'::json)")
            else:  # pageInfo
                info_parts = []
                for info_key, info_nodes in self.collect(page_info_type, selections).items():
                    info_sql = {
                        "__typename": "'PageInfo'::text",
                        "hasNextPage": f"count(*) > {first_sql}",
                        "hasPreviousPage": "true" if after_given else "false",
                        "startCursor": f"(array_agg({x}.cursor order by {x}.n) {kept})[1]",
                        "endCursor": f"(array_agg({x}.cursor order by {x}.n desc) {kept})[1]",
                    }[info_nodes[0].name.value]
                    info_parts.append(f"'{info_key}', {info_sql}")
                sql = f"json_build_object({', '.join(info_parts)})"
            parts.append(f"'{key_name}', {sql}")
        inner = f"select {', '.join(columns)} from {rows.format(a=a)}"
        # group by (): one row even when the page is empty and nothing aggregates.
        return f"(select json_build_object({', '.join(parts)}) from ({inner}) {x} group by ())"


@dataclass
class Arguments(Mapping[str, Any]):
    """A field's argument values. Reading one marks the variables it was made of as shaping
    the statement (their values then key its plan); `_Compiler.bound` reads one without
    that, as a parameter, and `given` asks only what every plan's key holds."""

    shaping: set[str]
    by_name: dict[str, Any] = field(default_factory=dict)
    reads: dict[str, frozenset[str]] = field(default_factory=dict)
    """The variables each argument's value was made of."""
    direct: dict[str, str] = field(default_factory=dict)
    """Arguments that are one variable with a value, by the variable's name."""

    def __getitem__(self, name: str) -> Any:
        self.shaping.update(self.reads.get(name, ()))
        return self.by_name[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self.by_name)

    def __len__(self) -> int:
        return len(self.by_name)

    def given(self, name: str) -> bool:
        """Whether the argument has a value: the same for every request of a plan's shape
        (an argument made of more than one variable is read)."""
        if name in self.direct:
            return True
        return self[name] is not None


def _variables_in(node: ValueNode) -> frozenset[str]:
    """The variables a value is made of (a value node is a variable, a list, an object or a
    literal)."""
    if isinstance(node, VariableNode):
        return frozenset((node.name.value,))
    if isinstance(node, ListValueNode):
        return frozenset().union(*(_variables_in(v) for v in node.values))
    if isinstance(node, ObjectValueNode):
        return frozenset().union(*(_variables_in(f.value) for f in node.fields))
    return frozenset()


def param_text(value: Any, sql_type: str) -> str | None:
    """A parameter's value as the text it is passed as ($1 is a text[])."""
    if value is None:
        return None
    if sql_type in ("text[]", "int2[]"):
        return json.dumps(value)
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float | Decimal | UUID):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    return json.dumps(value)


@dataclass(frozen=True)
class Field:
    """A field being compiled: the SQL of its parent's row, its arguments, its selections."""

    source: str
    args: Arguments
    selections: list[SelectionSetNode]


def plain(value: Any) -> Any:
    """Coerced values as the resolvers see them: enum values, not enum members."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def _column(column: str) -> Callable[[_Compiler, Field], str]:
    return lambda _c, f: f"{f.source}.{column}"


def _columns(**columns: str) -> dict[str, Callable[[_Compiler, Field], str]]:
    """Fields that are their row's columns, by field name."""
    return {name: _column(column) for name, column in columns.items()}


def _timestamp(column: str) -> Callable[[_Compiler, Field], str]:
    return lambda _c, f: f"api.iso_timestamp({f.source}.{column})"


def _upper(column: str) -> Callable[[_Compiler, Field], str]:
    """An enum field: its stored value in capitals."""
    return lambda _c, f: f"upper({f.source}.{column})"


def _plain_fields(table: Table) -> dict[str, Callable[[_Compiler, Field], str]]:
    """The fields of a table's registry (gql/entities) that show one column each."""
    form = {"value": _column, "id": _column, "timestamp": _timestamp, "enum": _upper}
    return {name: form[column.form](column.name) for name, column in table.fields().items()}


def _key_sql(source: str, column: str) -> str:
    """A sort-key value as paging.encode_cursor writes it."""
    kind = COLUMN_TYPES[column]
    if kind is Decimal or kind is float:
        return f"{source}.{column}::text"
    if kind == datetime.fromisoformat:
        return f"api.iso_timestamp({source}.{column})"
    return f"{source}.{column}"


def _object(type_name: str, **columns: str) -> Callable[[_Compiler, Field], str]:
    """A nested object made from its parent's row (Address, GeoPoint)."""
    def build(c: _Compiler, f: Field) -> str:
        return c.object_json(type_name, f.selections, f.source)
    _FIELDS[type_name] = _columns(**columns)
    return build


# --- Query ------------------------------------------------------------------------------------

def _business(c: _Compiler, f: Field) -> str:
    by_id, by_slug = f.args.given("id"), f.args.given("slug")
    if by_id == by_slug:
        raise BadArgument("id", 'or "slug": give exactly one of them')
    if by_slug:
        return c.one("Business", f, f"api.businesses_by_slug(array[{c.bound(f, 'slug', 'text')}]) {{a}}")
    return c.one("Business", f, f"api.businesses_by_id(array[{c.bound(f, 'id', 'uuid', parse_id)}]) {{a}}")


def _businesses(c: _Compiler, f: Field) -> str:
    given = f.args["filter"] or {}
    flt = BusinessFilter(category_slug=given.get("categorySlug"), city=given.get("city"),
                         state=given.get("state"), min_rating=given.get("minRating"),
                         price_levels=given.get("priceLevels"), attributes=given.get("attributes"))
    flt.check()
    category, city, state, rating, levels, attributes = flt.sql_args()
    return _business_connection(c, f, f"{c.param(category, 'text')}, {c.param(city, 'text')},"
                                      f" {c.param(state, 'text')}, {c.param(rating, 'numeric')},"
                                      f" {c.param(levels, 'int2[]')}, {c.param(attributes, 'text[]')}")


def _category_businesses(c: _Compiler, f: Field) -> str:
    return _business_connection(c, f, f"{f.source}.slug, null, null, null, null, null")


def _business_connection(c: _Compiler, f: Field, filters: str) -> str:
    """api.business_page and api.business_count under `filters`, the SQL of their six
    filter arguments (category slug, city, state, minimum rating, price levels, attributes)."""
    order, first, after = f.args["orderBy"], check_first(f.args["first"]), f.args["after"]
    key = BUSINESSES.after(after, order)
    rows = (f"api.business_page({filters}, {c.param(order, 'text')}, {c.param(key, 'jsonb')}, "
            f"{c.param(first + 1, 'int')}) with ordinality {{a}}")
    return c.connection("Business", f, rows, BUSINESSES, order, first, after is not None,
                        lambda: f"api.business_count({filters})")


def _serves_location(c: _Compiler, f: Field) -> str:
    point = Point(f.args["latitude"], f.args["longitude"]).check()
    return (f"coalesce((select s.serves from api.businesses_serving(array[{f.source}.id],"
            f" {c.param(point.latitude, 'float8')}, {c.param(point.longitude, 'float8')}) s), false)")


def _nearby_businesses(c: _Compiler, f: Field) -> str:
    near = f.args["near"]
    first, after, radius_given = check_first(f.args["first"]), f.args["after"], f.args["radiusMeters"]
    point = Point(near["latitude"], near["longitude"]).check("near")
    radius = checked_radius(radius_given)
    key = SEARCH_RESULTS.after(after, "DISTANCE")
    lat, lon = c.param(point.latitude, "float8"), c.param(point.longitude, "float8")
    found = (f"api.nearby_businesses({lat}, {lon}, {c.param(radius, 'float8')}, {c.param(key, 'jsonb')},"
             f" {c.param(first + 1, 'int')})")
    rows = _located_rows(found, lat, lon)
    # The count takes the radius as given, as the interpreter's does.
    total = f"api.nearby_count({lat}, {lon}, {c.param(radius_given, 'float8')})"
    return c.connection("Business", f, rows, SEARCH_RESULTS, "DISTANCE", first, after is not None,
                        lambda: total, located=True)


def _search_businesses(c: _Compiler, f: Field) -> str:
    a = f.args
    request = SearchRequest(
        query=a["query"], near=_point(a["near"]), radius_meters=a["radiusMeters"],
        category_slug=a["categorySlug"], open_now=a["openNow"], min_rating=a["minRating"],
        serves=_point(a["servesLocation"]), sort=a["sort"], category_slugs=a["categorySlugs"],
        open_at=a["openAt"], price_levels=a["priceLevels"], attributes=a["attributes"]).checked()
    first, after = check_first(a["first"]), a["after"]
    key = SEARCH_RESULTS.after(after, request.sort)
    types = ("text", "float8", "float8", "float8", "text[]", "boolean", "timestamptz", "numeric",
             "int2[]", "text[]", "float8", "float8")
    params = [c.param(value, kind) for value, kind in zip(request.filter_args(), types, strict=True)]
    filters, (query, lat, lon) = ", ".join(params), params[:3]
    found = (f"api.search_businesses({filters}, {c.param(request.sort, 'text')}, {c.param(key, 'jsonb')},"
             f" {c.param(first + 1, 'int')})")
    rows = _located_rows(found, lat, lon)

    def did_you_mean(kept: str) -> str:  # only for an empty first page of a query
        if after is not None or request.query is None:
            return "null::text"
        return f"case when count(*) {kept} = 0 then api.spelling_suggestion({query}) end"

    return c.connection("Business", f, rows, SEARCH_RESULTS, request.sort, first, after is not None,
                        lambda: f"api.search_count({filters})", located=True,
                        type_name="BusinessSearchConnection", extra={"didYouMean": did_you_mean})


def _located_rows(found: str, lat: str, lon: str) -> str:
    """The businesses of a search or nearby function (business, rank, distance), with the
    columns the interpreter adds (resolvers/search.py RESULT_SELECT), numbered in order."""
    bearing = (f"case when {lat} is not null then"
               f" api.bearing_degrees({lat}, {lon}, (s.business).latitude, (s.business).longitude) end")
    return (f"(select (s.business).*, s.rank, s.distance as distance_meters, {bearing} as bearing_degrees,"
            f" row_number() over () as ordinality from {found} s) {{a}}")


def _point(given: dict[str, float] | None) -> Point | None:
    return None if given is None else Point(given["latitude"], given["longitude"])


def _autocomplete(c: _Compiler, f: Field) -> str:
    prefix, lat, lon, limit = checked_autocomplete(f.args["prefix"], _point(f.args["near"]), f.args["limit"])
    found = (f"api.autocomplete({c.param(prefix, 'text')}, {c.param(lat, 'float8')},"
             f" {c.param(lon, 'float8')}, {c.param(limit, 'int')})")
    return c.each("Suggestion", f, found + " with ordinality {a}", "{a}.ordinality")


def _business_analytics(c: _Compiler, f: Field) -> str:
    """The report api.business_analytics makes (its refusal fails the statement, and the
    interpreter then reports it), with the window it covers."""
    first, last = _window(c, f)
    business = parse_id(f.args["businessId"], "businessId")
    report = (f"api.business_analytics({c.param(business, 'uuid')}, {first}, {last})"
              f" || jsonb_build_object('from', {first}, 'to', {last})")
    return _report(c, f, "BusinessAnalytics", report)


def _platform_stats(c: _Compiler, f: Field) -> str:
    """api.platform_stats (administrators only: it refuses anyone else, as above)."""
    first, last = _window(c, f)
    return _report(c, f, "PlatformStats", f"api.platform_stats({first}, {last})")


def _window(c: _Compiler, f: Field) -> tuple[str, str]:
    """The SQL of a report's first and last day, from its `from` and `to` arguments."""
    start, end = window(f.args["from"], f.args["to"])
    if f.args["from"] is None or f.args["to"] is None:  # a default window moves with the day
        c.valid_on = datetime.now(UTC).date()
    return c.param(start, "date"), c.param(end, "date")


def _report(c: _Compiler, f: Field, type_name: str, report: str) -> str:
    """An object made from the JSON value of a report function. The value is always looked
    at, so that the function runs (and refuses whom it refuses) even when no field of it is
    selected: PostgreSQL drops an unused value without computing it. `offset 0` keeps the
    subquery whole: flattened, the report was computed again for every field read from it
    (a 90-day report: 9.4 ms instead of 1.9)."""
    a = c.alias()
    item = c.object_json(type_name, f.selections, f"{a}.v")
    return f"(select case when {a}.v is not null then {item} end from (select {report} as v offset 0) {a})"


def _record_view(c: _Compiler, f: Field) -> str:
    return _recorded(c, f, f"api.record_business_view({c.bound(f, 'businessId', 'uuid', _input_id)},"
                           f" {c.bound(f, 'visitorId', 'text')}, {c.bound(f, 'referrer', 'text')},"
                           f" {c.bound(f, 'timeOnPageSeconds', 'integer')},"
                           f" {c.bound(f, 'bounced', 'boolean')}, {c.bound(f, 'clientEventId', 'text')})")


def _record_click(c: _Compiler, f: Field) -> str:
    return _recorded(c, f, f"api.record_business_click({c.bound(f, 'businessId', 'uuid', _input_id)},"
                           f" {c.bound(f, 'visitorId', 'text')}, {c.bound(f, 'kind', 'text')},"
                           f" {c.bound(f, 'clientEventId', 'text')})")


def _recorded(c: _Compiler, f: Field, call: str) -> str:
    """A RecordPayload of one recorder call. The call is in FROM: it runs once, whatever the
    selection (none, or `counted` under two aliases). Its refusals fail the statement."""
    a = c.alias()
    return f"(select {c.object_json('RecordPayload', f.selections, a)} from {call} as {a}(counted))"


def _input_id(value: Any) -> UUID:
    """An ID argument of a mutation; one that is not an ID is the interpreter's to report."""
    try:
        return UUID(str(value))
    except ValueError:
        raise NotCompiled("an argument is not a valid ID") from None


def _json_list(type_name: str, key: str, *, column: bool = False) -> Callable[[_Compiler, Field], str]:
    """A list field made of the objects of a JSON array in the parent's JSON value (or, with
    `column`, in the parent row's jsonb column `key`)."""
    def build(c: _Compiler, f: Field) -> str:
        e = c.alias()
        item = c.object_json(type_name, f.selections, f"{e}.v")
        array = f"{f.source}.{key}" if column else f"{f.source} -> '{key}'"
        return (f"(select coalesce(json_agg({item} order by {e}.n), '[]'::json)"
                f" from jsonb_array_elements({array}) with ordinality {e}(v, n))")
    return build


def _change_cursor(column: str) -> Callable[[_Compiler, Field], str]:
    """A change-log position as the cursor the interpreter makes of it."""
    return lambda _c, f: f"api.page_cursor('{CHANGE_CURSOR_KIND}', jsonb_build_array({f.source}.{column}))"


def _rows_of(c: _Compiler, f: Field, type_name: str, rows: str, order: str) -> str:
    """A list field of the rows a set-returning function gives, in this order."""
    e = c.alias()
    item = c.object_json(type_name, f.selections, e)
    column, _, direction = order.partition(" ")
    return (f"(select coalesce(json_agg({item} order by {e}.{column} {direction}), '[]'::json)"
            f" from {rows} {e})")


def _social_links(c: _Compiler, f: Field) -> str:
    """The social_links object as a list of (platform, url), by platform."""
    e = c.alias()
    item = c.object_json("SocialLink", f.selections, e)
    return (f"(select coalesce(json_agg({item} order by {e}.platform), '[]'::json)"
            f" from jsonb_each_text({f.source}.social_links) {e}(platform, url))")


def _json_keys(**keys: str) -> dict[str, Callable[[_Compiler, Field], str]]:
    """Fields that are keys of their parent's JSON value, by field name."""
    def key_of(key: str) -> Callable[[_Compiler, Field], str]:
        return lambda _c, f: f"{f.source} -> '{key}'"
    return {name: key_of(key) for name, key in keys.items()}


def _changes(c: _Compiler, f: Field) -> str:
    """A page of the change log as the request's role sees it (the log's row-level policy
    decides, as gql/realtime/feed.as_seen_by does for the interpreter); it ends at the page's
    last position whether or not that change is visible."""
    first, after = check_first(f.args["first"]), f.args["after"]
    position = decode_change_cursor(after)
    p = c.alias()
    c.change_pages[p] = c.param(first, "int")
    positions = (f"(select array_agg(x.seq order by x.seq) as seqs from api.change_positions("
                 f"{c.param(position, 'bigint')}, {c.param(first + 1, 'int')}) x(seq)) {p}")
    c.change_ends[p] = c.param(after, "text")
    page = c.object_json("ChangePage", f.selections, p)
    # The positions are always looked at (see _report): reading them refuses an old cursor.
    looked_at = f"{p}.seqs is null or cardinality({p}.seqs) >= 0"
    return f"(select case when {looked_at} then {page} end from {positions})"


def _change_events(c: _Compiler, f: Field) -> str:
    first = c.change_pages[f.source]
    e = c.alias()
    item = c.object_json("ChangeEvent", f.selections, e)
    return (f"(select coalesce(json_agg({item} order by {e}.seq), '[]'::json) from change_log {e}"
            f" where {e}.seq = any({f.source}.seqs[1:{first}]))")


def _change_end_cursor(c: _Compiler, f: Field) -> str:
    end = f"{f.source}.seqs[least(cardinality({f.source}.seqs), {c.change_pages[f.source]})]"
    cursor = f"api.page_cursor('{CHANGE_CURSOR_KIND}', jsonb_build_array({end}))"
    return f"coalesce(case when {end} is not null then {cursor} end, {c.change_ends[f.source]})"


_EVENT = f"($1[{EVENT_POSITION + 1}])::bigint"
"""The position of the change a compiled event answers (its first parameter)."""


def _event(c: _Compiler, f: Field) -> str:
    e = c.alias()
    event = c.object_json("ChangeEvent", f.selections, e)
    return f"(select {event} from change_log {e} where {e}.seq = {_EVENT})"


CHANGED_OBJECTS = {"Business": "businesses_by_id", "Review": "reviews_by_id",
                   "ReviewResponse": "responses_by_id", "Category": "categories_by_id"}
"""The types of ChangeEvent.node, by change_log.entity, and the function that reads each
(the same as the interpreter's loaders and api.change_object_visible)."""


def _changed_node(c: _Compiler, f: Field) -> str:
    branches = " ".join(
        f"when '{entity}' then {c.one(entity, f, f'api.{reader}(array[{f.source}.entity_id]) {{a}}')}"
        for entity, reader in CHANGED_OBJECTS.items())
    return f"case {f.source}.entity {branches} end"


def _tombstone(_c: _Compiler, f: Field) -> str:
    return f"not api.change_object_visible({f.source}.entity, {f.source}.entity_id)"


def _category(c: _Compiler, f: Field) -> str:
    return c.one("Category", f, f"api.categories_by_slug(array[{c.bound(f, 'slug', 'text')}]) {{a}}")


def _categories(c: _Compiler, f: Field) -> str:
    return c.each("Category", f, "api.category_roots() with ordinality {a}", "{a}.ordinality")


def _review(c: _Compiler, f: Field) -> str:
    return c.one("Review", f, f"api.reviews_by_id(array[{c.bound(f, 'id', 'uuid', parse_id)}]) {{a}}")


# --- Business ---------------------------------------------------------------------------------

REVIEW_PAGE_FUNCTIONS = {"NEWEST": "newest_reviews", "OLDEST": "oldest_reviews",
                         "HIGHEST_RATING": "highest_rated_reviews", "LOWEST_RATING": "lowest_rated_reviews",
                         "MOST_HELPFUL": "most_helpful_reviews"}

@cache
def _weekdays() -> str:
    """The days of OpeningInterval.day, as SQL values, in the interpreter's order."""
    return ", ".join(f"('{day.name}', '{day.value}', {n})" for n, day in enumerate(Weekday))


def _hours(c: _Compiler, f: Field) -> str:
    d, i = c.alias(), c.alias()
    item = c.object_json("OpeningInterval", f.selections, f"{d}|{i}")
    return (f"(select coalesce(json_agg({item} order by {d}.n, {i}.n), '[]'::json)"
            f" from (values {_weekdays()}) {d}(day, key, n),"
            f" jsonb_array_elements({f.source}.hours -> {d}.key) with ordinality {i}(v, n))")


def _special_hours(c: _Compiler, f: Field) -> str:
    s = c.alias()
    item = c.object_json("SpecialHours", f.selections, s)
    return (f"(select coalesce(json_agg({item} order by {s}.key), '[]'::json)"
            f" from jsonb_each({f.source}.special_hours) {s})")


def _time_intervals(c: _Compiler, f: Field) -> str:
    i = c.alias()
    item = c.object_json("TimeInterval", f.selections, i)
    return (f"(select coalesce(json_agg({item} order by {i}.n), '[]'::json)"
            f" from jsonb_array_elements({f.source}.value) with ordinality {i}(v, n))")


def _rating_distribution(c: _Compiler, f: Field) -> str:
    r, count = c.alias(), c.alias()
    item = c.object_json("RatingCount", f.selections, f"{count}.v")
    return (f"(select json_agg({item} order by {r}.n desc) from generate_series(1, 5) {r}(n),"
            f" jsonb_build_object('rating', {r}.n, 'count', {f.source}.rating_counts[{r}.n]) {count}(v))")


def _service_areas(_c: _Compiler, f: Field) -> str:
    """As resolvers/service_areas.as_geojson: one MultiPolygon of the polygons, null without."""
    return ("(select json_build_object('type', 'MultiPolygon', 'coordinates',"
            " json_agg(s.geojson -> 'coordinates' order by s.id))"
            f" from api.service_areas_of(array[{f.source}.id]) s having count(*) > 0)")


def _business_reviews(c: _Compiler, f: Field) -> str:
    order, first, after = f.args["orderBy"], check_first(f.args["first"]), f.args["after"]
    key = REVIEWS.after(after, order)
    # The one-business function of this order (review_pages calls the same), inlined by the
    # planner; numbered in its order (WITH ORDINALITY would stop the inlining).
    page = (f"api.{REVIEW_PAGE_FUNCTIONS[order]}({f.source}.id, {c.param(key, 'jsonb')},"
            f" {c.param(first + 1, 'int')})")
    rows = f"(select r.*, row_number() over () as ordinality from {page} r) {{a}}"
    return c.connection("Review", f, rows, REVIEWS, order, first, after is not None,
                        lambda: f"{f.source}.review_count")


def _categories_of(c: _Compiler, f: Field) -> str:
    ids = f"array[{f.source}.primary_category_id] || {f.source}.secondary_category_ids"
    o = c.alias()
    return c.each("Category", f, f"unnest({ids}) with ordinality {o}(id, n)"
                                 f" join api.categories_by_id({ids}) {{a}} on {{a}}.id = {o}.id", f"{o}.n")


def _item_page(c: _Compiler, f: Field, page_type: str, order: str, rows: Callable[[str, str, str], str],
               key_of: Callable[[str], str] = lambda m: f"{_key_sql(m, 'created_at')}, {m}.id") -> str:
    """A page of items (`items`, `endCursor`, `hasNextPage`: myBusinesses, businessClaims,
    moderationQueue) over a set-returning call of (first + 1, the cursor's time, its id), rows in
    their order; cursors of (time, id) as paging.encode_cursor makes them (`key_of` a row: the
    time as api.iso_timestamp writes it, and the id). The rows are read once."""
    first, after = check_page_size(f.args["first"]), f.args["after"]
    key = decode_cursor(after, order, [datetime.fromisoformat, UUID])
    since, last_id = (datetime.fromisoformat(key[0]), UUID(key[1])) if key else (None, None)
    p, t, m = c.alias(), c.alias(), c.alias()
    cursor = f"api.page_cursor('{order}', jsonb_build_array({key_of(m)}))"
    call = rows(c.param(first + 1, "int"), c.param(since, "timestamptz"), c.param(last_id, "uuid"))
    page = (f"(select array_agg({t}.m order by {t}.n) as rows,"
            f" array_agg({t}.cursor order by {t}.n) as cursors,"
            f" {c.param(first, 'int')} as first, {c.param(after, 'text')} as after"
            f" from (select {m} as m, row_number() over () as n, {cursor} as cursor"
            f" from {call} {m}) {t}) {p}")
    return f"(select {c.object_json(page_type, f.selections, p)} from {page})"


def _page_of(item_type: str) -> dict[str, Callable[[_Compiler, Field], str]]:
    """The fields of an _item_page's page."""
    def items(c: _Compiler, f: Field) -> str:
        o = c.alias()
        item = c.object_json(item_type, f.selections, o)
        return (f"(select coalesce(json_agg({item} order by {o}.ordinality), '[]'::json)"
                f" from unnest({f.source}.rows[1:{f.source}.first]) with ordinality {o})")
    return {
        "items": items,
        "endCursor": lambda _c, f: (f"coalesce({f.source}.cursors[{f.source}.first],"
                                    f" {f.source}.cursors[cardinality({f.source}.cursors)],"
                                    f" {f.source}.after)"),
        "hasNextPage": lambda _c, f: f"coalesce(cardinality({f.source}.rows) > {f.source}.first, false)",
    }


def _my_businesses(c: _Compiler, f: Field) -> str:
    return _item_page(c, f, "MyBusinesses", MINE_ORDER, lambda *args: f"api.my_businesses({', '.join(args)})")


def _business_claims(c: _Compiler, f: Field) -> str:
    status = c.param(f.args["status"], "text")
    return _item_page(c, f, "BusinessClaims", CLAIMS_ORDER,
                      lambda *args: f"api.business_claims({status}, {', '.join(args)})")


def _moderation_queue(c: _Compiler, f: Field) -> str:
    return _item_page(c, f, "ModerationQueue", QUEUE_ORDER,
                      lambda *args: f"api.moderation_queue({', '.join(args)})",
                      lambda m: f"api.iso_timestamp({m}.waiting_since), ({m}.review).id")


def _json_timestamp(key: str) -> Callable[[_Compiler, Field], str]:
    """A timestamp in the parent's JSON value, as the interpreter writes a DateTime."""
    return lambda _c, f: f"api.iso_timestamp(({f.source} ->> '{key}')::timestamptz)"


def _managers(c: _Compiler, f: Field) -> str:
    """The business's managers (api.managers_of: for its owner, managers and administrators),
    by id, as the interpreter lists them."""
    g, u = c.alias(), c.alias()
    item = c.object_json("User", f.selections, u)
    return (f"(select coalesce(json_agg({item} order by {g}.n), '[]'::json)"
            f" from api.managers_of({f.source}.id) with ordinality {g}(id, n)"
            f" join lateral api.user_profiles(array[{g}.id]) {u} on true)")


def _profile(column: str) -> Callable[[_Compiler, Field], str]:
    return lambda c, f: c.one("User", f, f"api.user_profiles(array[{f.source}.{column}]) {{a}}")


# --- Category, Review, ReviewResponse ---------------------------------------------------------

def _ancestors(c: _Compiler, f: Field) -> str:
    path = f"{f.source}.path[1:cardinality({f.source}.path) - 1]"
    o = c.alias()
    return c.each("Category", f, f"unnest({path}) with ordinality {o}(id, n)"
                                 f" join api.categories_by_id({path}) {{a}} on {{a}}.id = {o}.id", f"{o}.n")


def _split(source: str, part: int) -> str:
    return source.split("|")[part]


_FIELDS: dict[str, dict[str, Callable[[_Compiler, Field], str]]] = {}
"""How each field of a compiled type becomes SQL; a field of these types that is not here is in
INTERPRETED, with the reason (tests/test_compiled_reads.py holds both to the schema)."""

INTERPRETED = {
    "Query.operationsReport": "administrators' statistics from pg_stat_statements and the catalogs: rare, "
                              "not worth a statement of its own",
    "Me.email": "sealed: opened with the data key in Python, never in SQL",
    "Subscription.analyticsUpdated": "a poll of today's figures once a second, not a change of the log",
    "Mutation.*": "writes go through the interpreter's one mutation pipeline (gql/resolvers/writes.py), "
                  "all but the two traffic counters",
}
"""Fields of compiled types answered by the interpreter, each with its reason (`Type.*`: every
field of the type not in _FIELDS): an operation that selects one takes the interpreted path whole."""

_FIELDS["Query"] = {"business": _business, "businesses": _businesses, "category": _category,
                    "categories": _categories, "review": _review, "nearbyBusinesses": _nearby_businesses,
                    "searchBusinesses": _search_businesses, "autocomplete": _autocomplete,
                    "businessAnalytics": _business_analytics, "platformStats": _platform_stats,
                    "changes": _changes,
                    "me": lambda c, f: c.one("Me", f, "api.me() {a}"), "myBusinesses": _my_businesses,
                    "businessClaims": _business_claims, "moderationQueue": _moderation_queue}
_FIELDS["MyBusinesses"] = _page_of("ManagedBusiness")
_FIELDS["BusinessClaims"] = _page_of("BusinessClaim")
_FIELDS["ModerationQueue"] = _page_of("ModerationItem")
_FIELDS["ModerationItem"] = {
    "review": lambda c, f: c.one("Review", f, f"(select ({f.source}.review).*) {{a}}"),
    "waitingSince": _timestamp("waiting_since"),
    "flags": _json_list("ReviewFlagNote", "flags", column=True),
    "history": _json_list("ModerationRecord", "decisions", column=True),
}
_FIELDS["ReviewFlagNote"] = {"reason": lambda _c, f: f"{f.source} ->> 'reason'",
                             "flaggedAt": _json_timestamp("flagged_at")}
_FIELDS["ModerationRecord"] = {
    "decision": lambda _c, f: (f"case {f.source} ->> 'decision' when 'published' then 'PUBLISH'"
                               " else 'REJECT' end"),
    "note": lambda _c, f: f"{f.source} ->> 'note'",
    "decidedAt": _json_timestamp("decided_at"),
    "moderator": lambda c, f: c.one(
        "User", f, f"api.user_profiles(array[({f.source} ->> 'moderator_id')::uuid]) {{a}}"),
}
_FIELDS["BusinessClaim"] = {
    **_columns(id="id", message="message", decisionNote="decision_note"),
    "status": lambda _c, f: f"upper({f.source}.status)",
    "createdAt": _timestamp("created_at"),
    "decidedAt": _timestamp("decided_at"),
    "business": lambda c, f: c.one("Business", f,
                                   f"api.businesses_by_id(array[{f.source}.business_id]) {{a}}"),
    "claimant": _profile("claimant_id"),
}
_FIELDS["ManagedBusiness"] = {
    "business": lambda c, f: c.object_json("Business", f.selections, f.source),
    "role": lambda _c, f: (f"case when {f.source}.owner_id = api.current_user_id() then 'OWNER'"
                           " else 'MANAGER' end"),
    "managers": _managers,
}
_FIELDS["Business"] = {
    **_plain_fields(BUSINESS_TABLE),
    "isOpenNow": lambda _c, f: f"api.is_open_at({f.source}.hours, {f.source}.special_hours,"
                               f" {f.source}.timezone, now())",
    "rating": lambda _c, f: f"case when {f.source}.review_count > 0 then {f.source}.rating_avg end",
    "verified": lambda _c, f: f"{f.source}.verification_status = 'verified'",
    # From the point a search or nearby query gave; null for a business found otherwise.
    "distanceMeters": lambda c, f: f"{f.source}.distance_meters" if f.source in c.located else "null::float8",
    "bearingDegrees": lambda c, f: f"{f.source}.bearing_degrees" if f.source in c.located else "null::float8",
    "address": _object("Address", line1="address_line1", line2="address_line2", city="city",
                       state="state", zip="zip_code", country="country"),
    "location": lambda c, f: (f"case when {f.source}.latitude is not null then"
                              f" {c.object_json('GeoPoint', f.selections, f.source)} end"),
    "hours": _hours,
    "specialHours": _special_hours,
    "ratingDistribution": _rating_distribution,
    "photos": _json_list("Photo", "photos", column=True),
    # Enum names are the stored values in capitals (gql/schema/listing.py).
    "attributes": lambda _c, f: (f"array(select upper(a) from unnest({f.source}.attributes)"
                                 f" with ordinality u(a, n) order by n)"),
    "socialLinks": _social_links,
    "badges": lambda _c, f: (f"array_remove(array[case when {f.source}.owner_id is not null"
                             f" then 'CLAIMED' end,"
                             f" case when {f.source}.verification_status = 'verified' then 'VERIFIED' end],"
                             f" null)"),
    "primaryCategory": lambda c, f: c.one(
        "Category", f, f"api.categories_by_id(array[{f.source}.primary_category_id]) {{a}}"),
    "categories": _categories_of,
    "reviews": _business_reviews,
    "owner": _profile("owner_id"),
    "servesLocation": _serves_location,
    "serviceAreas": _service_areas,
}
_FIELDS["GeoPoint"] = _columns(latitude="latitude", longitude="longitude")
_FIELDS["Photo"] = {"url": lambda _c, f: f"{f.source} ->> 'url'",
                    "caption": lambda _c, f: f"{f.source} ->> 'caption'",
                    "primary": lambda _c, f: f"coalesce(({f.source} ->> 'primary')::boolean, false)"}
_FIELDS["SocialLink"] = {"platform": lambda _c, f: f"upper({f.source}.platform)",
                         "url": lambda _c, f: f"{f.source}.url"}
_FIELDS["OpeningInterval"] = {
    "day": lambda _c, f: f"{_split(f.source, 0)}.day",
    "opens": lambda _c, f: f"{_split(f.source, 1)}.v ->> 0",
    "closes": lambda _c, f: f"{_split(f.source, 1)}.v ->> 1",
}
_FIELDS["SpecialHours"] = {
    "date": lambda _c, f: f"{f.source}.key",
    "closed": lambda _c, f: f"jsonb_array_length({f.source}.value) = 0",
    "intervals": _time_intervals,
}
_FIELDS["TimeInterval"] = {"opens": lambda _c, f: f"{f.source}.v ->> 0",
                           "closes": lambda _c, f: f"{f.source}.v ->> 1"}
_FIELDS["RatingCount"] = _json_keys(rating="rating", count="count")
_FIELDS["Category"] = {
    **_plain_fields(CATEGORY_TABLE),
    "parent": lambda c, f: c.one("Category", f, f"api.categories_by_id(array[{f.source}.parent_id]) {{a}}"),
    "children": lambda c, f: c.each("Category", f, f"api.category_children(array[{f.source}.id])"
                                                   " with ordinality {a}", "{a}.ordinality"),
    "ancestors": _ancestors,
    "businesses": _category_businesses,
}
_FIELDS["Review"] = {
    **_plain_fields(REVIEW_TABLE),
    "business": lambda c, f: c.one("Business", f,
                                   f"api.businesses_by_id(array[{f.source}.business_id]) {{a}}"),
    "author": _profile("author_id"),
    "response": lambda c, f: c.one("ReviewResponse", f,
                                   f"api.responses_by_review(array[{f.source}.id]) {{a}}"),
}
_FIELDS["ReviewResponse"] = {
    **_plain_fields(RESPONSE_TABLE),
    "responder": _profile("responder_id"),
}
# The signed-in account (none for anonymous requests). Its email is sealed in the database
# (gql/identity/data_key.py): a query asking for it is left to the interpreter, which opens it.
_FIELDS["Me"] = {
    **_columns(id="id", displayName="display_name", avatarUrl="avatar_url", roles="roles"),
    "createdAt": _timestamp("created_at"),
    "emailVerified": lambda _c, f: f"{f.source}.email_verified_at is not null",
    "sessions": lambda c, f: _rows_of(c, f, "Session", "api.my_sessions()", "created_at desc"),
    "apiKeys": lambda c, f: _rows_of(c, f, "ApiKey", "api.my_api_keys()", "created_at desc"),
    "webhooks": lambda c, f: _rows_of(c, f, "Webhook", "api.my_webhooks()", "created_at"),
}
_FIELDS["ApiKey"] = {
    **_columns(id="id", name="name", prefix="prefix", businessIds="business_ids",
               requestCount="request_count"),
    # Enum names: the stored scope in capitals, ':' as '_' (gql/schema/api_keys.py).
    "scopes": lambda _c, f: (f"array(select upper(replace(s, ':', '_')) from unnest({f.source}.scopes)"
                             f" with ordinality u(s, n) order by n)"),
    "createdAt": _timestamp("created_at"), "expiresAt": _timestamp("expires_at"),
    "revokedAt": _timestamp("revoked_at"), "lastUsedAt": _timestamp("last_used_at"),
}
_FIELDS["Webhook"] = {
    **_columns(id="id", url="url", businessId="business_id", selection="selection",
               pausedReason="paused_reason", failures="failures", lastStatus="last_status",
               lastError="last_error"),
    "topics": lambda _c, f: (f"array(select upper(s) from unnest({f.source}.topics)"
                             f" with ordinality u(s, n) order by n)"),
    "status": lambda _c, f: f"upper({f.source}.status)",
    "cursor": _change_cursor("cursor"),
    "lastAttemptAt": _timestamp("last_attempt_at"), "nextAttemptAt": _timestamp("next_attempt_at"),
    "createdAt": _timestamp("created_at"),
    "deliveries": lambda c, f: _rows_of(
        c, f, "WebhookDelivery",
        f"api.webhook_deliveries({f.source}.id, {c.param(max(1, min(f.args['first'], 100)), 'int')})",
        "id desc"),
}
_FIELDS["WebhookDelivery"] = {
    **_columns(events="events", attempt="attempt", status="status", error="error", latencyMs="latency_ms"),
    "at": _timestamp("at"),
    "firstCursor": _change_cursor("first_seq"), "lastCursor": _change_cursor("last_seq"),
}
_FIELDS["Session"] = {
    **_columns(id="id", device="device"),
    "createdAt": _timestamp("created_at"), "lastUsedAt": _timestamp("last_used_at"),
    "expiresAt": _timestamp("expires_at"),
    "current": lambda _c, f: f"{f.source}.id::text is not distinct from api.claims() ->> 'sid'",
}

_FIELDS["User"] = {
    **_columns(id="id", displayName="display_name", avatarUrl="avatar_url"),
    "createdAt": _timestamp("created_at"),
}

_FIELDS["Suggestion"] = {
    **_columns(kind="kind", label="label", slug="slug", businessId="business_id", distanceMeters="distance"),
}
# A business's report: the JSON api.business_analytics returns, with `from` and `to`.
_FIELDS["BusinessAnalytics"] = {
    **_json_keys(**{"from": "from", "to": "to"}, totalViews="views", uniqueVisitors="unique_visitors",
                 averageTimeOnPageSeconds="average_time_on_page", bounceRate="bounce_rate",
                 clickThroughRate="click_through_rate"),
    "clicks": lambda c, f: c.object_json("ClickCounts", f.selections, f"({f.source} -> 'clicks')"),
    "daily": _json_list("DailyTraffic", "daily"),
    "topReferrers": _json_list("ReferrerCount", "referrers"),
    "ratingDistribution": _json_list("RatingCount", "rating_distribution"),
    "weeklyReviews": _json_list("WeeklyReviews", "weekly"),
}
_FIELDS["ClickCounts"] = _json_keys(call="call", website="website", directions="directions", share="share",
                                    save="save")
_FIELDS["DailyTraffic"] = _json_keys(date="day", views="views", uniqueVisitors="unique_visitors",
                                     clicks="clicks")
_FIELDS["ReferrerCount"] = _json_keys(referrer="referrer", views="views")
_FIELDS["WeeklyReviews"] = _json_keys(week="week", reviews="reviews", averageRating="average_rating")

_FIELDS["ChangePage"] = {
    "events": _change_events,
    "endCursor": _change_end_cursor,
    "hasMore": lambda c, f: f"coalesce(cardinality({f.source}.seqs), 0) > {c.change_pages[f.source]}",
}
_FIELDS["ChangeEvent"] = {
    **_columns(op="op", entity="entity", entityId="entity_id", businessId="business_id"),
    "cursor": lambda _c, f: f"api.page_cursor('{CHANGE_CURSOR_KIND}', jsonb_build_array({f.source}.seq))",
    "at": _timestamp("at"),
    "clientId": lambda _c, f: f"api.own_change_client_id({f.source}.seq)",
    "tombstone": _tombstone,
    "node": _changed_node,
}
_FIELDS["PlatformStats"] = {
    "refreshedAt": lambda _c, f: f"api.iso_timestamp(({f.source} ->> 'refreshed_at')::timestamptz)",
    "weekly": _json_list("WeeklyGrowth", "weekly"),
    "topCategories": _json_list("ActiveCategory", "top_categories"),
    "topCities": _json_list("ActiveCity", "top_cities"),
}
_FIELDS["WeeklyGrowth"] = _json_keys(week="week", businesses="businesses", reviews="reviews", users="users")
_FIELDS["ActiveCategory"] = _json_keys(slug="slug", name="name", activity="activity")
_FIELDS["ActiveCity"] = _json_keys(city="city", state="state", activity="activity")
_FIELDS["Mutation"] = {"recordBusinessView": _record_view, "recordBusinessClick": _record_click}
_FIELDS["RecordPayload"] = {"counted": lambda _c, f: f"{f.source}.counted",
                            "errors": lambda _c, _f: "json_build_array()"}  # (a refusal is interpreted)
# The sync feed's subscriptions, one change at a time (which changes each one follows is
# decided before, by gql/realtime/feed.make_filter).
_FIELDS["Subscription"] = {"changes": _event, "businessChanged": _event, "reviewsChanged": _event}
