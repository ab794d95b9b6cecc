"""The days of the week as the schema names them (OpeningInterval.day) and as the listing's
`hours` stores them, in the order both executors list them."""

from __future__ import annotations

from enum import Enum

import strawberry


@strawberry.enum
class Weekday(Enum):
    MONDAY = "mon"
    TUESDAY = "tue"
    WEDNESDAY = "wed"
    THURSDAY = "thu"
    FRIDAY = "fri"
    SATURDAY = "sat"
    SUNDAY = "sun"
