from sqlalchemy import or_

from app.core.pagination import keyset
from app.core.repository import Repository
from app.core.rows import Conditions, Row
from app.core.types import utcnow
from app.tasks.models import Task, TaskStatus
from app.tasks.schemas import READ_FIELDS, TaskFilters


class TaskRepository(Repository[Task]):
    model = Task
    read_fields = READ_FIELDS
    resource = "task"

    async def find(self, f: TaskFilters) -> tuple[list[Row], str | None]:
        ks = keyset(f.sort, self.c, self.c.id)
        return await self.page(self.filtered(f), ks, f.cursor, f.limit)

    def filtered(self, f: TaskFilters) -> Conditions:
        c = self.c
        where = self.conditions()
        self.where_equal(
            where,
            {
                "assignee_id": f.assignee_id,
                "status": f.status,
                "contact_id": f.contact_id,
                "company_id": f.company_id,
                "deal_id": f.deal_id,
            },
        )
        where.add("due_after", f.due_after, lambda p: c.due_at >= p)
        where.add("due_before", f.due_before, lambda p: c.due_at < p)
        if f.overdue:
            # Served by the (workspace, status, due_at) index: open tasks due before now.
            where.add_many(
                {"overdue_status": TaskStatus.open, "overdue_now": utcnow()},
                lambda s, n: (c.status == s) & (c.due_at < n),
            )
        elif f.overdue is False:
            where.add_many(
                {"current_status": TaskStatus.open, "current_now": utcnow()},
                lambda s, n: or_(c.status != s, c.due_at.is_(None), c.due_at >= n),
            )
        self.in_time_ranges(where, f)
        return where
