"""Process versions (immutable, cached by id) and owners' drafts on SQL."""

from __future__ import annotations

from sqlalchemy import Connection, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from engine.kernel import model
from engine.kernel.errors import Conflict, NotFound, VersionNotFound
from persistence import tables as t
from persistence.rows import SqlStore


class SqlVersions(SqlStore):
    def __init__(self, connection: Connection, cache: dict[str, model.ProcessVersion]):
        super().__init__(connection)
        self.cache = cache  # versions are immutable: cache them by id

    def add(self, version: model.ProcessVersion) -> None:
        try:
            self.c.execute(insert(t.process_versions).values(**vars(version)))
        except IntegrityError:
            raise Conflict(
                f"Another version of {version.process_key} was deployed at the same moment; "
                "deploy again to add yours after it."
            ) from None

    def get(self, version_id: str) -> model.ProcessVersion:
        if version_id not in self.cache:
            row = self.c.execute(select(t.process_versions).where(t.process_versions.c.id == version_id)).first()
            if row is None:
                raise VersionNotFound(f"No process version {version_id!r}.")
            self.cache[version_id] = model.ProcessVersion(**row._mapping)
        return self.cache[version_id]

    def latest(self, process_key: str) -> model.ProcessVersion | None:
        query = (
            select(t.process_versions.c.id)
            .where(t.process_versions.c.process_key == process_key)
            .order_by(t.process_versions.c.number.desc())
            .limit(1)
        )
        version_id = self.c.execute(query).scalar()
        return self.get(version_id) if version_id else None

    def list(self, process_key: str | None = None) -> list[model.ProcessVersion]:
        query = select(t.process_versions.c.id)
        if process_key is not None:
            query = query.where(t.process_versions.c.process_key == process_key)
        return [self.get(version_id) for version_id in self.c.execute(query).scalars()]

    def open_cases(self, process_key: str) -> dict[str, int]:
        c = t.cases.c
        query = (
            select(c.version_id, func.count())
            .where(c.process_key == process_key, c.status != "closed")
            .group_by(c.version_id)
        )
        return {version_id: int(n) for version_id, n in self.c.execute(query)}


class SqlDrafts(SqlStore):
    def add(self, draft: model.Draft) -> None:
        self._run(insert(t.process_drafts).values(**vars(draft)))

    def get(self, draft_id: str) -> model.Draft:
        row = self.c.execute(select(t.process_drafts).where(t.process_drafts.c.id == draft_id)).first()
        if row is None:
            raise NotFound(f"No draft {draft_id!r}.")
        return model.Draft(**row._mapping)

    def save(self, draft: model.Draft) -> None:
        values = {k: v for k, v in vars(draft).items() if k != "id"}
        self._run(update(t.process_drafts).where(t.process_drafts.c.id == draft.id).values(**values))

    def delete(self, draft_id: str) -> None:
        self._run(delete(t.process_drafts).where(t.process_drafts.c.id == draft_id))

    def list(self, process_key: str | None = None) -> list[model.Draft]:
        query = select(t.process_drafts).order_by(t.process_drafts.c.updated_at.desc())
        if process_key is not None:
            query = query.where(t.process_drafts.c.process_key == process_key)
        return [model.Draft(**row._mapping) for row in self.c.execute(query)]
