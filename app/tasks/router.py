import uuid
from typing import Annotated

from fastapi import Query
from starlette.responses import Response

from app.context import reader, writer
from app.core.openapi import problems
from app.core.responses import no_content, page_response, record_response
from app.routing import api_router
from app.tasks.schemas import (
    TaskCreate,
    TaskFilters,
    TaskPage,
    TaskRead,
    TaskUpdate,
)
from app.tasks.service import TaskService

router = api_router("/tasks", tags=["tasks"])
Reader = Annotated[TaskService, reader(TaskService, "tasks")]
Writer = Annotated[TaskService, writer(TaskService, "tasks")]


@router.get("", operation_id="list_tasks", response_model=TaskPage)
async def list_tasks(service: Reader, filters: Annotated[TaskFilters, Query()]) -> Response:
    """List tasks, newest first unless `sort` says otherwise; `overdue=true` for what is late."""
    data, cursor = await service.find(filters)
    return page_response(data, cursor)


@router.post(
    "",
    operation_id="create_task",
    status_code=201,
    response_model=TaskRead,
)
async def create_task(service: Writer, body: TaskCreate) -> Response:
    """Plan an action, optionally about a contact or a company."""
    task = await service.create(body)
    return record_response(task, 201, f"/api/v1/tasks/{task['id']}")


@router.get(
    "/{task_id}",
    operation_id="get_task",
    response_model=TaskRead,
    responses=problems(404),
)
async def get_task(service: Reader, task_id: uuid.UUID) -> Response:
    """Get one task."""
    return record_response(await service.get(task_id))


@router.patch(
    "/{task_id}",
    operation_id="update_task",
    response_model=TaskRead,
    responses=problems(404),
)
async def update_task(service: Writer, task_id: uuid.UUID, body: TaskUpdate) -> Response:
    """Change the fields sent; `status: done` sets `completed_at`."""
    return record_response(await service.update(task_id, body))


@router.delete(
    "/{task_id}",
    operation_id="delete_task",
    status_code=204,
    response_class=Response,
    responses=problems(404),
)
async def delete_task(service: Writer, task_id: uuid.UUID) -> Response:
    """Delete a task."""
    await service.delete(task_id)
    return no_content()
