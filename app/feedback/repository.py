from app.core import links
from app.core.links import OnDelete
from app.core.pagination import keyset
from app.core.repository import Repository
from app.core.rows import Conditions, Row
from app.feedback.models import Feedback
from app.feedback.schemas import READ_FIELDS, FeedbackFilters


class FeedbackRepository(Repository):
    model = Feedback
    read_fields = READ_FIELDS
    resource = "feedback"
    permission = "feedback"
    noun = "feedback"

    async def find(self, f: FeedbackFilters) -> tuple[list[Row], str | None]:
        ks = keyset(f.sort, self.c, self.c.id)
        return await self.page(self.filtered(f), ks, f.cursor, f.limit)

    def filtered(self, f: FeedbackFilters) -> Conditions:
        c = self.c
        where = self.conditions()
        self.where_equal(
            where,
            {
                "kind": f.kind,
                "status": f.status,
                "assignee_id": f.assignee_id,
                "contact_id": f.contact_id,
            },
        )
        where.add("score_min", f.score_min, lambda p: c.score >= p)
        where.add("score_max", f.score_max, lambda p: c.score <= p)
        where.add("received_after", f.received_after, lambda p: c.received_at >= p)
        where.add("received_before", f.received_before, lambda p: c.received_at < p)
        self.in_time_ranges(where, f)
        return where


# What a contact said is its history.
links.declare(
    FeedbackRepository,
    parent="contacts",
    column="contact_id",
    on_delete=OnDelete.cascade,
    history_at="received_at",
)
