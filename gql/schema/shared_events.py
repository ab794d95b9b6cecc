"""Each subscription event executed in a unit of work of its own, once per audience.

graphql-core runs a subscription's selection set once per event per subscriber. Two things
are done about that here:

- Every event gets a fresh transaction and fresh loaders for the event object and all its
  nested fields, finished as soon as the event's result is complete (DESIGN rule 6): a
  subscription holds no pool connection between events, and nested data is read afresh. A
  lost database is waited for (the event is executed again once it is back), within the
  hub's outage limit; after that the event carries the retryable error.
- Subscribers with the same identity already share the event object (SharedViews reads a
  change once per identity); the executions are shared too among the subscribers that sent
  the same document with the same variables, so each distinct answer is computed once and
  only its delivery happens per subscriber. With 1,000 anonymous subscribers, executing
  every event 1,000 times over was most of the server's time (py-spy, bench S1).
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable
from copy import copy
from typing import Any

from graphql import ExecutionResult, OperationType
from graphql.execution.executor import CollectedErrors
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from gql.context import Context
from gql.postgres.outage import is_database_lost

SharedExecutions = dict[tuple[str | None, str, str], asyncio.Future[Any]]


def shared_executions() -> SharedExecutions:
    """The field a root type declares (strawberry.Private) to have its executions shared:
    only for objects handed to subscribers who would all see the same answer."""
    return {}


def _lost_database(result: ExecutionResult) -> bool:
    return any(error.original_error is not None and is_database_lost(error.original_error)
               for error in result.errors or ())


def _forget_if_failed(executions: SharedExecutions, key: tuple[str | None, str, str],
                      done: asyncio.Future[Any]) -> None:
    """A result spoiled by an outage is not handed to subscribers who come to it later."""
    if done.cancelled() or done.exception() is not None or _lost_database(done.result()):
        executions.pop(key, None)


class SharedEventExecutor(StrawberryGraphQLCoreExecutionContext):
    def execute_operation(self, serially: bool | None = None) -> Any:
        context = self.context_value
        if self.operation.operation is not OperationType.SUBSCRIPTION or not isinstance(context, Context):
            return super().execute_operation(serially)
        # graphql-core calls this once per event, on a per-event copy of the executor.
        executions: SharedExecutions | None = getattr(self.root_value, "shared_executions", None)
        if executions is None:
            return self._execute_event(context, serially)
        source = self.operation.loc.source.body if self.operation.loc else repr(self.operation)
        name = self.operation.name.value if self.operation.name else None
        key = (name, source, json.dumps(self.variable_values.coerced, sort_keys=True, default=str))
        shared = executions.get(key)
        if shared is None:
            shared = executions[key] = asyncio.ensure_future(self._execute_event(context, serially))
            shared.add_done_callback(lambda done: _forget_if_failed(executions, key, done))
        if shared.done() and not shared.cancelled() and shared.exception() is None:
            return shared.result()
        return asyncio.shield(shared)

    async def _execute_event(self, context: Context, serially: bool | None) -> ExecutionResult:
        give_up_at = time.monotonic() + context.settings.hub.outage_seconds
        delay = 0.05
        executor: StrawberryGraphQLCoreExecutionContext = self
        # Shared by sockets: bounded process-wide, not by the first subscriber's socket.
        slots = context.views.slots if context.views else None
        while True:
            async with context.unit_of_work(commit=False, slots=slots):
                result = StrawberryGraphQLCoreExecutionContext.execute_operation(executor, serially)
                if isinstance(result, Awaitable):
                    result = await result
            assert isinstance(result, ExecutionResult)
            if not _lost_database(result) or time.monotonic() + delay > give_up_at:
                return result
            await asyncio.sleep(delay)
            delay = min(delay * 2, 1.0)
            executor = copy(self)  # as graphql-core makes a per-event executor: errors afresh
            executor.collected_errors = CollectedErrors()
