"""One execution of a subscription event for every subscriber that would get the same answer.

graphql-core runs a subscription's selection set once per event per subscriber. For the
change feed that was most of the server's time: with 1,000 subscribers following the feed
anonymously, every edit was resolved and completed 1,000 times over (py-spy, bench S1).
Subscribers with the same identity already share the event object (SharedViews reads a
change once per identity); this executor also shares its execution among the subscribers
that sent the same document with the same variables, so each distinct answer is computed
once and only its delivery happens per subscriber.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable
from typing import Any

from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

SharedExecutions = dict[tuple[str | None, str, str], asyncio.Future[Any]]


def shared_executions() -> SharedExecutions:
    """The field a root type declares (strawberry.Private) to have its executions shared:
    only for objects handed to subscribers who would all see the same answer."""
    return {}


class SharedEventExecutor(StrawberryGraphQLCoreExecutionContext):
    def execute_operation(self, *args: Any, **kwargs: Any) -> Any:
        executions: SharedExecutions | None = getattr(self.root_value, "shared_executions", None)
        if executions is None:
            return super().execute_operation(*args, **kwargs)
        source = self.operation.loc.source.body if self.operation.loc else repr(self.operation)
        name = self.operation.name.value if self.operation.name else None
        key = (name, source, json.dumps(self.variable_values, sort_keys=True, default=str))
        shared = executions.get(key)
        if shared is None:
            result = super().execute_operation(*args, **kwargs)
            if isinstance(result, Awaitable):
                shared = asyncio.ensure_future(result)
            else:
                shared = asyncio.get_running_loop().create_future()
                shared.set_result(result)
            executions[key] = shared
        if shared.done() and not shared.cancelled() and shared.exception() is None:
            return shared.result()
        return asyncio.shield(shared)
