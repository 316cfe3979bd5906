import uuid
from typing import Annotated

from fastapi import Query
from starlette.responses import Response

from app.campaigns.schemas import (
    CampaignCreate,
    CampaignFilters,
    CampaignPage,
    CampaignRead,
    CampaignUpdate,
    SpendCreate,
    SpendFilters,
    SpendPage,
    SpendRead,
    SpendUpdate,
)
from app.campaigns.service import CampaignService, SpendService
from app.context import reader, writer
from app.core.openapi import problems
from app.core.responses import no_content, page_response, record_response
from app.routing import api_router

campaigns = api_router("/campaigns", tags=["campaigns"])
spend = api_router("/spend", tags=["spend"])
CampaignReader = Annotated[CampaignService, reader(CampaignService, "campaigns")]
CampaignWriter = Annotated[CampaignService, writer(CampaignService, "campaigns")]
SpendReader = Annotated[SpendService, reader(SpendService, "spend")]
SpendWriter = Annotated[SpendService, writer(SpendService, "spend")]


@campaigns.get("", operation_id="list_campaigns", response_model=CampaignPage)
async def list_campaigns(
    service: CampaignReader, filters: Annotated[CampaignFilters, Query()]
) -> Response:
    """List campaigns, latest start first unless `sort` says otherwise."""
    data, cursor = await service.find(filters)
    return page_response(data, cursor)


@campaigns.post("", operation_id="create_campaign", status_code=201, response_model=CampaignRead)
async def create_campaign(service: CampaignWriter, body: CampaignCreate) -> Response:
    """Create a campaign; its cost in another currency needs an exchange rate for its start day."""
    campaign = await service.create(body)
    return record_response(campaign, 201, f"/api/v1/campaigns/{campaign['id']}")


@campaigns.get(
    "/{campaign_id}",
    operation_id="get_campaign",
    response_model=CampaignRead,
    responses=problems(404),
)
async def get_campaign(service: CampaignReader, campaign_id: uuid.UUID) -> Response:
    """Get one campaign."""
    return record_response(await service.get(campaign_id))


@campaigns.patch(
    "/{campaign_id}",
    operation_id="update_campaign",
    response_model=CampaignRead,
    responses=problems(404),
)
async def update_campaign(
    service: CampaignWriter, campaign_id: uuid.UUID, body: CampaignUpdate
) -> Response:
    """Change the fields sent; leave the others as they are."""
    return record_response(await service.update(campaign_id, body))


@campaigns.delete(
    "/{campaign_id}",
    operation_id="delete_campaign",
    status_code=204,
    response_class=Response,
    responses=problems(404),
)
async def delete_campaign(service: CampaignWriter, campaign_id: uuid.UUID) -> Response:
    """Delete a campaign; the contacts it brought stay, no longer linked to it."""
    await service.delete(campaign_id)
    return no_content()


@spend.get("", operation_id="list_spend", response_model=SpendPage)
async def list_spend(service: SpendReader, filters: Annotated[SpendFilters, Query()]) -> Response:
    """List spend entries, latest day first unless `sort` says otherwise."""
    data, cursor = await service.find(filters)
    return page_response(data, cursor)


@spend.post("", operation_id="create_spend", status_code=201, response_model=SpendRead)
async def create_spend(service: SpendWriter, body: SpendCreate) -> Response:
    """Record sales or marketing spend not tied to a campaign (it counts in CAC)."""
    entry = await service.create(body)
    return record_response(entry, 201, f"/api/v1/spend/{entry['id']}")


@spend.get(
    "/{entry_id}", operation_id="get_spend", response_model=SpendRead, responses=problems(404)
)
async def get_spend(service: SpendReader, entry_id: uuid.UUID) -> Response:
    """Get one spend entry."""
    return record_response(await service.get(entry_id))


@spend.patch(
    "/{entry_id}",
    operation_id="update_spend",
    response_model=SpendRead,
    responses=problems(404),
)
async def update_spend(service: SpendWriter, entry_id: uuid.UUID, body: SpendUpdate) -> Response:
    """Change the fields sent; leave the others as they are."""
    return record_response(await service.update(entry_id, body))


@spend.delete(
    "/{entry_id}",
    operation_id="delete_spend",
    status_code=204,
    response_class=Response,
    responses=problems(404),
)
async def delete_spend(service: SpendWriter, entry_id: uuid.UUID) -> Response:
    """Delete a spend entry."""
    await service.delete(entry_id)
    return no_content()
