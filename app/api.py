"""Every feature's routes, under /api/v1 (see app/routing.py). Each route names its service and
the permission it needs (app/context.py); a test checks that no /api/v1 route answers without a
key."""

from fastapi import FastAPI

from app.audit.router import router as audit
from app.campaigns.router import campaigns, spend
from app.companies.router import router as companies
from app.contacts.router import companies as company_contacts
from app.contacts.router import router as contacts
from app.events.router import router as events
from app.exchange_rates.router import router as exchange_rates
from app.feedback.router import router as feedback
from app.interactions.router import router as interactions
from app.kpis.router import router as kpis
from app.orders.router import router as orders
from app.sales.router import deals, pipelines
from app.system.router import router as system
from app.tasks.router import router as tasks
from app.timeline.router import router as timeline
from app.webhooks.router import router as webhooks
from app.workspaces.router import router as workspaces

ROUTERS = (
    system,
    workspaces,
    contacts,
    timeline,
    companies,
    company_contacts,
    interactions,
    tasks,
    feedback,
    pipelines,
    deals,
    exchange_rates,
    orders,
    campaigns,
    spend,
    kpis,
    events,
    webhooks,
    audit,
)


def add_routes(app: FastAPI) -> None:
    """One flat list of routes, matched once per request."""
    for router in ROUTERS:
        app.router.routes.extend(router.routes)
