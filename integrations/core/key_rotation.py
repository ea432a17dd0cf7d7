"""Key rotation over every encrypted column in the store, proven before old keys may go.

The columns are found, not listed: every column whose name ends in `_encrypted`, in every table
of the models' metadata, so a secret column added later cannot be skipped by a rotation.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel

import db.models  # noqa: F401 - registers every table in the metadata
from integrations.core.crypto import DecryptionError, TokenCipher

ENCRYPTED_SUFFIX = "_encrypted"


@dataclass(frozen=True, slots=True)
class UnreadableSecret:
    """A stored value that does not decrypt: where it is, never what it holds."""

    table: str
    row_id: str
    column: str


@dataclass(slots=True)
class RotationReport:
    rotated: dict[str, int] = field(default_factory=dict)
    unreadable: list[UnreadableSecret] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(self.rotated.values())

    @property
    def old_keys_may_go(self) -> bool:
        return not self.unreadable


def encrypted_columns() -> dict[sa.Table, list[sa.Column[str]]]:
    """Every table holding secrets, with its `*_encrypted` columns."""
    found: dict[sa.Table, list[sa.Column[str]]] = {}
    for table in SQLModel.metadata.sorted_tables:
        columns = [column for column in table.columns if column.name.endswith(ENCRYPTED_SUFFIX)]
        if columns:
            found[table] = columns
    return found


def _row_id(table: sa.Table, row: sa.Row[tuple[object, ...]]) -> str:
    return "/".join(str(row._mapping[key.name]) for key in table.primary_key.columns)


def rotate_all(engine: Engine, cipher: TokenCipher) -> RotationReport:
    """Re-encrypt every stored secret under the newest key, then read each back with the newest
    key alone. A value no configured key opens is named and left as it is."""
    report = RotationReport()
    for table, columns in encrypted_columns().items():
        keys = list(table.primary_key.columns)
        report.rotated[table.name] = 0
        with engine.begin() as connection:
            # One transaction per table: a failure half way leaves that table as it was.
            rows = connection.execute(sa.select(*keys, *columns).order_by(*keys)).all()
            for row in rows:
                changes: dict[str, str] = {}
                for column in columns:
                    value = row._mapping[column.name]
                    if not value:
                        continue
                    try:
                        changes[column.name] = cipher.rotate(value)
                    except DecryptionError:
                        report.unreadable.append(
                            UnreadableSecret(table.name, _row_id(table, row), column.name)
                        )
                if changes:
                    where = sa.and_(*(key == row._mapping[key.name] for key in keys))
                    connection.execute(sa.update(table).where(where).values(**changes))
                    report.rotated[table.name] += len(changes)
    report.unreadable.extend(
        problem
        for problem in verify_newest_key(engine, cipher.newest_only())
        if problem not in report.unreadable
    )
    return report


def verify_newest_key(engine: Engine, newest: TokenCipher) -> list[UnreadableSecret]:
    """Every stored secret that the newest key alone cannot open."""
    problems: list[UnreadableSecret] = []
    with engine.connect() as connection:
        for table, columns in encrypted_columns().items():
            keys = list(table.primary_key.columns)
            for row in connection.execute(sa.select(*keys, *columns).order_by(*keys)):
                for column in columns:
                    value = row._mapping[column.name]
                    if not value:
                        continue
                    try:
                        newest.decrypt(value)
                    except DecryptionError:
                        problems.append(
                            UnreadableSecret(table.name, _row_id(table, row), column.name)
                        )
    return problems
