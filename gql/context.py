"""What every resolver gets through `info.context`."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request
from starlette.websockets import WebSocket

from gql.database import RequestDatabase
from gql.loaders import Loaders


@dataclass
class Context:
    request: Request | WebSocket
    db: RequestDatabase
    loaders: Loaders
