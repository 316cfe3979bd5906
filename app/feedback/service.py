import uuid
from collections.abc import Sequence
from typing import Any

from app.contacts.service import ContactService
from app.core.aggregates import Segment
from app.core.errors import Conflict, RuleViolation, field_error
from app.core.rows import Row
from app.core.scope import Scope
from app.core.types import utcnow
from app.core.windows import Window
from app.feedback import figures
from app.feedback.repository import FeedbackRepository
from app.feedback.schemas import (
    FeedbackCreate,
    FeedbackFilters,
    FeedbackStatus,
    FeedbackUpdate,
    check_score,
)

Open, InProgress, Resolved, Closed = (
    FeedbackStatus.open,
    FeedbackStatus.in_progress,
    FeedbackStatus.resolved,
    FeedbackStatus.closed,
)
# The follow-up workflow: where each status may go next.
TRANSITIONS: dict[FeedbackStatus, frozenset[FeedbackStatus]] = {
    Open: frozenset({InProgress, Resolved}),
    InProgress: frozenset({Resolved}),
    Resolved: frozenset({Closed, InProgress}),
    Closed: frozenset(),
}


class FeedbackService:
    def __init__(self, scope: Scope) -> None:
        self.scope = scope
        self.feedback = FeedbackRepository(scope)
        self.contacts = ContactService(scope)

    async def get(self, feedback_id: uuid.UUID) -> Row:
        return await self.feedback.get_or_404(feedback_id)

    async def find(self, filters: FeedbackFilters) -> tuple[list[Row], str | None]:
        return await self.feedback.find(filters)

    async def figures(
        self, windows: Sequence[Window], segment: Segment | None
    ) -> list[dict[str, Any]]:
        """Per window: the feedback KPIs' counts and durations (feedback/figures.py)."""
        return await figures.feedback(self.scope, windows, segment)

    async def create(self, data: FeedbackCreate) -> dict[str, Any]:
        await self.contacts.check_reference(data.contact_id, "/contact_id")
        values = data.model_dump()
        values["received_at"] = values["received_at"] or utcnow()
        return self.feedback.view(await self.feedback.insert(self.feedback.new(values)))

    async def update(self, feedback_id: uuid.UUID, data: FeedbackUpdate) -> dict[str, Any]:
        changes = data.model_dump(exclude_unset=True)
        await self.contacts.check_reference(changes.get("contact_id"), "/contact_id")
        feedback = await self.feedback.load_target(feedback_id)
        merged = {**feedback, **changes}
        problem = check_score(merged["kind"], merged["score"])
        if problem:
            raise RuleViolation(problem, errors=[field_error("/score", problem)])
        if "status" in changes and changes["status"] != feedback["status"]:
            changes.update(_transition(feedback, changes["status"], changes))
        return self.feedback.view(await self.feedback.save(feedback, {**feedback, **changes}))

    async def delete(self, feedback_id: uuid.UUID) -> None:
        await self.feedback.remove(await self.feedback.load_target(feedback_id, for_delete=True))


def _transition(feedback: Row, target: FeedbackStatus, changes: dict[str, Any]) -> dict[str, Any]:
    """The fields a status move sets, or a 409 if the workflow does not allow the move."""
    status = feedback["status"]
    if target not in TRANSITIONS[status]:
        allowed = ", ".join(sorted(TRANSITIONS[status])) or "none (closed is final)"
        raise Conflict(
            f"Feedback cannot move from {status} to {target}; allowed: {allowed}.",
            current_status=str(status),
        )
    now = utcnow()
    moved: dict[str, Any] = {}
    if feedback["first_response_at"] is None:
        moved["first_response_at"] = now
    if target == Resolved:
        if not changes.get("resolution", feedback["resolution"]):
            detail = "Say how it was resolved: `resolution` is needed to resolve feedback."
            raise RuleViolation(detail, errors=[field_error("/resolution", "required")])
        moved["resolved_at"] = now
    elif target == InProgress:
        moved["resolved_at"] = None  # reopened
    return moved
