import uuid
from typing import Any

from app.companies.service import CompanyService
from app.contacts.service import ContactService
from app.core.rows import Row
from app.core.scope import Scope
from app.core.types import utcnow
from app.sales.service import DealService
from app.tasks.repository import TaskRepository
from app.tasks.schemas import TaskCreate, TaskFilters, TaskStatus, TaskUpdate


class TaskService:
    def __init__(self, scope: Scope) -> None:
        self.scope = scope
        self.tasks = TaskRepository(scope)
        self.contacts = ContactService(scope)
        self.companies = CompanyService(scope)
        self.deals = DealService(scope)

    async def get(self, task_id: uuid.UUID) -> Row:
        return await self.tasks.get_or_404(task_id)

    async def find(self, filters: TaskFilters) -> tuple[list[Row], str | None]:
        return await self.tasks.find(filters)

    async def create(self, data: TaskCreate) -> dict[str, Any]:
        values = data.model_dump()
        await self._check_links(values)
        values["completed_at"] = utcnow() if data.status == TaskStatus.done else None
        return self.tasks.view(await self.tasks.insert(self.tasks.new(values)))

    async def update(self, task_id: uuid.UUID, data: TaskUpdate) -> dict[str, Any]:
        changes = data.model_dump(exclude_unset=True)
        await self._check_links(changes)
        task = await self.tasks.load_target(task_id)
        status = changes.get("status", task["status"])
        if status == TaskStatus.done and task["status"] != TaskStatus.done:
            changes["completed_at"] = utcnow()
        elif status != TaskStatus.done:
            changes["completed_at"] = None
        return self.tasks.view(await self.tasks.save(task, {**task, **changes}))

    async def delete(self, task_id: uuid.UUID) -> None:
        await self.tasks.remove(await self.tasks.load_target(task_id, for_delete=True))

    async def _check_links(self, values: dict[str, Any]) -> None:
        await self.contacts.check_reference(values.get("contact_id"), "/contact_id")
        await self.companies.check_reference(values.get("company_id"), "/company_id")
        await self.deals.check_reference(values.get("deal_id"), "/deal_id")
