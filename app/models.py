"""Every feature's models, imported once so the metadata is complete (alembic, relationships)."""

from app.audit.models import AuditEntry
from app.campaigns.models import Campaign, SpendEntry
from app.companies.models import Company
from app.contacts.models import Contact
from app.core.db import Base
from app.events.models import Event, EventCounter
from app.exchange_rates.models import ExchangeRate
from app.feedback.models import Feedback
from app.idempotency.models import IdempotencyKey
from app.interactions.models import Interaction
from app.orders.models import Order
from app.sales.models import Deal, DealStageChange, Pipeline, PipelineStage
from app.tasks.models import Task
from app.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from app.workspaces.models import ApiKey, Workspace

__all__ = [
    "ApiKey",
    "AuditEntry",
    "Base",
    "Campaign",
    "Company",
    "Contact",
    "Deal",
    "DealStageChange",
    "Event",
    "EventCounter",
    "ExchangeRate",
    "Feedback",
    "IdempotencyKey",
    "Interaction",
    "Order",
    "Pipeline",
    "PipelineStage",
    "SpendEntry",
    "Task",
    "WebhookAttempt",
    "WebhookDelivery",
    "WebhookEndpoint",
    "Workspace",
]
