import uuid
from typing import Any

from app.companies.service import CompanyService
from app.contacts.service import ContactService
from app.core.errors import not_found
from app.core.repository import to_dict
from app.core.rows import Row
from app.core.scope import Scope
from app.core.types import utcnow
from app.deals.repository import DealRepository
from app.tasks.models import Task, TaskStatus
from app.tasks.repository import TaskRepository
from app.tasks.schemas import READ_FIELDS, TaskCreate, TaskFilters, TaskUpdate


class TaskService:
    def __init__(self, scope: Scope) -> None:
        self.scope = scope
        self.tasks = TaskRepository(scope)
        self.contacts = ContactService(scope)
        self.companies = CompanyService(scope)

    async def get(self, task_id: uuid.UUID) -> Row:
        row = await self.tasks.get_row(task_id)
        if row is None:
            raise not_found("task", task_id)
        return row

    async def find(self, filters: TaskFilters) -> tuple[list[Row], str | None]:
        return await self.tasks.find(filters)

    async def create(self, data: TaskCreate) -> dict[str, Any]:
        await self._check_links(data.model_dump())
        values = data.model_dump()
        values["completed_at"] = utcnow() if data.status == TaskStatus.done else None
        task = await self.tasks.add(Task(**values))
        return to_dict(task, READ_FIELDS)

    async def update(self, task_id: uuid.UUID, data: TaskUpdate) -> dict[str, Any]:
        task = await self.tasks.load(task_id, for_update=True)
        if task is None:
            raise not_found("task", task_id)
        changes = data.model_dump(exclude_unset=True)
        await self._check_links(changes)
        status = changes.get("status", task.status)
        if status == TaskStatus.done and task.status != TaskStatus.done:
            changes["completed_at"] = utcnow()
        elif status != TaskStatus.done:
            changes["completed_at"] = None
        await self.tasks.update(task, changes)
        return to_dict(task, READ_FIELDS)

    async def delete(self, task_id: uuid.UUID) -> None:
        task = await self.tasks.load(task_id, for_update=True)
        if task is None:
            raise not_found("task", task_id)
        await self.tasks.delete(task)

    async def _check_links(self, values: dict[str, Any]) -> None:
        await self.contacts.check_reference(values.get("contact_id"), "/contact_id")
        await self.companies.check_reference(values.get("company_id"), "/company_id")
        await DealRepository(self.scope).check_reference(values.get("deal_id"), "/deal_id")
