"""Reading query parameters of API list endpoints: strict, with a 400 that names the problem.

A typo in a query parameter must not silently widen a result (an ignored `?staus=overdue`
returns everything), so unknown parameters are refused too. Every list is paginated with
`limit` (1..MAX_LIMIT) and `offset`.
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

DEFAULT_LIMIT = 50
MAX_LIMIT = 200
PAGING = ("limit", "offset")


class BadParameter(Exception):
    """A query parameter the API cannot use; `message` is shown to the caller as is."""

    def __init__(self, parameter: str, message: str):
        super().__init__(message)
        self.parameter = parameter
        self.message = message

    def as_json(self) -> dict:
        return {"error": self.message, "status": 400, "parameter": self.parameter}


@dataclass(frozen=True)
class Page:
    limit: int
    offset: int

    def envelope(self, items: list, total: int) -> dict:
        """The list response: items plus what a client needs to fetch the next page."""
        following = self.offset + self.limit
        return {
            "items": items,
            "total": total,
            "limit": self.limit,
            "offset": self.offset,
            "next_offset": following if following < total else None,
        }


def refuse_unknown(args: Mapping[str, str], allowed: Iterable[str]) -> None:
    known = set(allowed) | set(PAGING)
    for name in args:
        if name not in known:
            raise BadParameter(
                name, f"Unknown query parameter '{name}'. Allowed: {', '.join(sorted(known))}."
            )


def integer(args: Mapping[str, str], name: str, *, minimum: int = 0,
            maximum: int | None = None, default: int | None = None) -> int | None:
    """The parameter as an int in [minimum, maximum], `default` when absent."""
    raw = args.get(name)
    if raw is None:
        return default
    raw = raw.strip()
    # ASCII digits only: str.isdigit() also accepts "²" or "٣", which int() refuses or reads.
    if not re.fullmatch(r"[0-9]{1,9}", raw):
        raise BadParameter(name, f"'{name}' must be a whole number, got '{raw[:40]}'.")
    value = int(raw)
    if value < minimum or (maximum is not None and value > maximum):
        bound = f"between {minimum} and {maximum}" if maximum is not None else f">= {minimum}"
        raise BadParameter(name, f"'{name}' must be {bound}, got {value}.")
    return value


def choice(args: Mapping[str, str], name: str, options: Iterable[str]) -> str | None:
    raw = args.get(name)
    if raw is None:
        return None
    options = tuple(options)
    if raw not in options:
        raise BadParameter(
            name, f"'{name}' must be one of {', '.join(options)}, got '{raw[:40]}'."
        )
    return raw


def page(args: Mapping[str, str]) -> Page:
    return Page(
        limit=integer(args, "limit", minimum=1, maximum=MAX_LIMIT, default=DEFAULT_LIMIT),
        offset=integer(args, "offset", default=0),
    )
