from sqlalchemy import or_

from app.core import links
from app.core.links import OnDelete
from app.core.pagination import keyset
from app.core.repository import Repository
from app.core.rows import Conditions, Row
from app.core.types import utcnow
from app.tasks.models import Task
from app.tasks.schemas import READ_FIELDS, TaskFilters, TaskStatus


class TaskRepository(Repository):
    model = Task
    read_fields = READ_FIELDS
    resource = "task"
    permission = "tasks"
    noun = "task"

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


# A contact's tasks are its history (in its timeline when they were created); they outlive
# the company and the deal they were about.
links.declare(
    TaskRepository,
    parent="contacts",
    column="contact_id",
    on_delete=OnDelete.cascade,
    history_at="created_at",
)
links.declare(TaskRepository, parent="companies", column="company_id", on_delete=OnDelete.unlink)
links.declare(TaskRepository, parent="deals", column="deal_id", on_delete=OnDelete.unlink)
