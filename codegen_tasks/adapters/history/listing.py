"""What is stored, for listings and for closing runs nobody will finish."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, select

from codegen_tasks.adapters.history.session import SessionStore
from codegen_tasks.adapters.history.tables import ProjectRow, RunNodeRow, RunRow
from codegen_tasks.domain.records import ProjectInfo, RunInfo


def aware(moment: datetime) -> datetime:
    """SQLite returns naive datetimes; history stores UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


class ListingStore(SessionStore):
    def runs(self, project_id: str | None = None, limit: int = 50) -> list[RunInfo]:
        """The latest runs first, of one project or of all."""
        query = select(RunRow, ProjectRow.name).join(ProjectRow, RunRow.project_id == ProjectRow.id)
        if project_id is not None:
            query = query.where(RunRow.project_id == project_id)
        query = query.order_by(RunRow.created_at.desc()).limit(limit)
        with self._session() as s:
            return [run_info_of(row, name) for row, name in s.execute(query)]

    def projects(self) -> list[ProjectInfo]:
        with self._session() as s:
            counts: dict[str, int] = {
                project_id: count
                for project_id, count in s.execute(
                    select(RunRow.project_id, func.count()).group_by(RunRow.project_id)
                ).all()
            }
            found: list[ProjectInfo] = []
            for row in s.scalars(select(ProjectRow).order_by(ProjectRow.updated_at.desc())):
                last = s.scalars(
                    select(RunRow)
                    .where(RunRow.project_id == row.id)
                    .order_by(RunRow.created_at.desc())
                    .limit(1)
                ).first()
                found.append(
                    ProjectInfo(
                        id=row.id,
                        name=row.name,
                        runs=counts.get(row.id, 0),
                        last_run_id=last.id if last else None,
                        last_run_status=last.status if last else None,
                        updated_at=aware(row.updated_at),
                    )
                )
            return found

    def open_runs(self, project_id: str | None = None) -> dict[str, datetime]:
        """Runs not closed yet, each with its last sign of life (its or a node's update)."""
        query = (
            select(RunRow.id, RunRow.created_at, func.max(RunNodeRow.updated_at))
            .outerjoin(RunNodeRow, RunNodeRow.run_id == RunRow.id)
            .where(RunRow.finished_at.is_(None))
            .group_by(RunRow.id, RunRow.created_at)
        )
        if project_id is not None:
            query = query.where(RunRow.project_id == project_id)
        with self._session() as s:
            return {
                run_id: max(aware(created), aware(touched or created))
                for run_id, created, touched in s.execute(query).all()
            }


def run_info_of(row: RunRow, project_name: str) -> RunInfo:
    """A run row as the pipeline reads it (listings and `run_info` alike)."""
    return RunInfo(
        id=row.id,
        project_id=row.project_id,
        project_name=project_name,
        status=row.status,
        model=row.model,
        force_regenerate=row.force_regenerate,
        user_id=row.user_id,
        batch_id=row.batch_id,
        created_at=aware(row.created_at),
        finished_at=aware(row.finished_at) if row.finished_at else None,
        mode=row.mode,
        stream=bool(row.stream),
        ai_review=bool(row.ai_review),
    )
