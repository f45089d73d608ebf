"""Many rows in one executemany, handed to the driver as SQLAlchemy would bind them.

SQLAlchemy binds each row of an executemany in Python: it builds the row's
full parameter dict, then runs every column's bind processor on it. For
the call log's batches that cost more than SQLite's own work (profiled with
``bench/call_log_bench.py --profile``). A :class:`BulkWrite` compiles its
statement once for the dialect, keeps the order of its parameters and the
bind processors of their types, and passes the rows to
``Connection.exec_driver_sql`` already bound: the same SQL and the same
values, without the per-row machinery.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.sql import ClauseElement

__all__ = ["BulkWrite"]

Processor = Callable[[Any], Any] | None


@dataclass(frozen=True, slots=True)
class BulkWrite:
    """An INSERT or UPDATE compiled once, run with rows bound as its column types say."""

    sql: str
    names: tuple[str, ...]  # the parameters, in the order the SQL takes them
    processors: tuple[Processor, ...]
    positional: bool

    @classmethod
    def compile(
        cls, statement: ClauseElement, dialect: Dialect, keys: Iterable[str] | None = None
    ) -> BulkWrite:
        """``keys``: the columns an INSERT's rows give (all of the table's by default)."""
        compiled = statement.compile(
            dialect=dialect, column_keys=list(keys) if keys is not None else None
        )
        positional = bool(compiled.positional)
        names = tuple(compiled.positiontup or ()) if positional else tuple(compiled.binds)
        processors = tuple(
            compiled.binds[name].type.dialect_impl(dialect).bind_processor(dialect)
            for name in names
        )
        return cls(compiled.string, names, processors, positional)

    def bound(self, row: Mapping[str, Any]) -> tuple[Any, ...] | dict[str, Any]:
        values = [
            row[name] if process is None else process(row[name])
            for name, process in zip(self.names, self.processors, strict=True)
        ]
        return tuple(values) if self.positional else dict(zip(self.names, values, strict=True))

    def run(self, connection: Connection, rows: Iterable[Mapping[str, Any]]) -> None:
        params = [self.bound(row) for row in rows]
        if params:
            connection.exec_driver_sql(self.sql, params)
