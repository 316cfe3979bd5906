"""Orders: recording purchases, money in the base currency, and what orders do to contacts."""

import httpx
import pytest

from tests.conftest import Tenant
from tests.factories import create_contact, create_order, create_rate, list_all

ORDERS = "/api/v1/orders"


async def test_a_paid_order_is_stored_and_shown_to_the_currency_minor_unit(api: httpx.AsyncClient):
    contact = await create_contact(api)
    response = await api.post(
        ORDERS,
        json={
            "contact_id": contact["id"],
            "external_id": "shop-1",
            "ordered_at": "2026-03-01T10:00:00+01:00",
            "status": "paid",
            "total": "129.9",
            "line_items": [{"sku": "T1", "name": "Tea", "quantity": 2, "unit_price": "59.95"}],
            "channel": "web",
        },
    )
    assert response.status_code == 201, response.text
    order = response.json()
    assert response.headers["etag"] == '"1"'
    assert response.headers["location"] == f"{ORDERS}/{order['id']}"
    assert (order["total"], order["total_base"], order["currency"]) == ("129.90", "129.90", "EUR")
    assert order["ordered_at"] == "2026-03-01T09:00:00Z"
    assert order["line_items"] == [
        {"sku": "T1", "name": "Tea", "quantity": "2", "unit_price": "59.95"}
    ]
    assert (await api.get(f"{ORDERS}/{order['id']}")).json() == order


async def test_an_order_in_another_currency_is_converted_at_the_rate_of_its_utc_day(
    api: httpx.AsyncClient,
):
    await create_rate(api, "USD", "0.5", "2026-02-01")
    await create_rate(api, "USD", "0.8", "2026-03-01")
    # 00:30 on 1 March in Paris is still 28 February in UTC: February's rate, 0.5.
    early = await create_order(
        api, currency="USD", total="10.01", ordered_at="2026-03-01T00:30:00+01:00"
    )
    later = await create_order(api, currency="USD", total="10.01", ordered_at="2026-03-01T00:30Z")
    assert early["total_base"] == "5.01"  # 10.01 x 0.5 = 5.005, rounded half up
    assert later["total_base"] == "8.01"  # 10.01 x 0.8 = 8.008
    assert (early["total"], early["currency"]) == ("10.01", "USD")


async def test_an_order_without_a_known_rate_is_refused(api: httpx.AsyncClient):
    await create_rate(api, "USD", "0.9", "2026-03-01")
    contact = await create_contact(api)
    for currency, day in (("GBP", "2026-03-05T00:00:00Z"), ("USD", "2026-02-28T23:59:59Z")):
        response = await api.post(
            ORDERS,
            json={
                "contact_id": contact["id"],
                "currency": currency,
                "total": "5",
                "ordered_at": day,
            },
        )
        assert response.status_code == 422
        assert response.json()["errors"][0]["pointer"] == "/currency"
        assert currency in response.json()["detail"]
    assert (await list_all(api, ORDERS)) == []


@pytest.mark.parametrize(
    ("fields", "pointer"),
    [
        ({"total": "1.005"}, "/total"),  # EUR has cents, not tenths of cents
        ({"total": "-1"}, "/total"),
        ({"currency": "XYZ"}, "/currency"),
        ({"status": "shipped"}, "/status"),
        ({"ordered_at": "2026-03-01T10:00:00"}, "/ordered_at"),  # no time zone
        (
            {"line_items": [{"name": "Tea", "quantity": 0, "unit_price": "1"}]},
            "/line_items/0/quantity",
        ),
        ({"line_items": [{"quantity": 1, "unit_price": "1"}]}, "/line_items/0/name"),
        ({"contact_id": "01a20278-c21c-7718-b28b-332b8fc34906"}, "/contact_id"),
    ],
)
async def test_invalid_orders_are_422_naming_the_field(api: httpx.AsyncClient, fields, pointer):
    contact = await create_contact(api)
    body = {"contact_id": contact["id"], "total": "10", **fields}
    response = await api.post(ORDERS, json=body)
    assert response.status_code == 422, response.text
    assert pointer in [error.get("pointer") for error in response.json()["errors"]]


async def test_yen_totals_have_no_decimals(api: httpx.AsyncClient, new_tenant):
    tenant: Tenant = await new_tenant(currency="JPY")
    contact = await create_contact(tenant.api)
    refused = await tenant.api.post(ORDERS, json={"contact_id": contact["id"], "total": "10.5"})
    assert refused.status_code == 422
    order = await create_order(tenant.api, contact_id=contact["id"], total="1290.0000")
    assert (order["total"], order["total_base"], order["currency"]) == ("1290", "1290", "JPY")


async def test_external_ids_are_unique_per_workspace(api: httpx.AsyncClient, new_tenant):
    await create_order(api, external_id="shop-7")
    contact = await create_contact(api)
    duplicate = await api.post(
        ORDERS, json={"contact_id": contact["id"], "total": "1", "external_id": "shop-7"}
    )
    assert duplicate.status_code == 409
    assert duplicate.json()["field"] == "external_id"
    other: Tenant = await new_tenant()
    await create_order(other.api, external_id="shop-7")


async def test_a_contact_of_another_workspace_is_unknown(api: httpx.AsyncClient, new_tenant):
    other: Tenant = await new_tenant()
    stranger = await create_contact(other.api)
    response = await api.post(ORDERS, json={"contact_id": stranger["id"], "total": "1"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["pointer"] == "/contact_id"


async def test_list_filters_sorts_and_pages(api: httpx.AsyncClient):
    ada, bob = await create_contact(api), await create_contact(api)
    made = [
        await create_order(api, contact_id=ada["id"], ordered_at="2026-01-03T00:00:00Z"),
        await create_order(api, contact_id=bob["id"], ordered_at="2026-01-01T00:00:00Z"),
        await create_order(
            api, contact_id=ada["id"], ordered_at="2026-01-02T00:00:00Z", status="refunded"
        ),
        await create_order(api, contact_id=bob["id"], ordered_at="2026-01-04T00:00:00Z"),
    ]
    ids = [o["id"] for o in made]
    newest_first = await list_all(api, ORDERS, limit=1)
    assert [o["id"] for o in newest_first] == [ids[3], ids[0], ids[2], ids[1]]
    oldest = await list_all(api, ORDERS, sort="ordered_at", limit=3)
    assert [o["id"] for o in oldest] == [ids[1], ids[2], ids[0], ids[3]]
    assert [o["id"] for o in await list_all(api, ORDERS, contact_id=ada["id"])] == [
        ids[0],
        ids[2],
    ]
    assert [o["id"] for o in await list_all(api, ORDERS, status="refunded")] == [ids[2]]
    window = {"ordered_after": "2026-01-02T00:00:00Z", "ordered_before": "2026-01-04T00:00:00Z"}
    assert [o["id"] for o in await list_all(api, ORDERS, **window)] == [ids[0], ids[2]]
    unknown = await api.get(ORDERS, params={"state": "paid"})
    assert unknown.status_code == 422


async def test_patch_and_delete_honour_if_match(api: httpx.AsyncClient):
    order = await create_order(api, total="10")
    path = f"{ORDERS}/{order['id']}"
    stale = await api.patch(path, json={"total": "12"}, headers={"If-Match": '"7"'})
    assert stale.status_code == 412
    changed = await api.patch(path, json={"total": "12"}, headers={"If-Match": '"1"'})
    assert changed.status_code == 200
    assert (changed.json()["total"], changed.json()["version"]) == ("12.00", 2)
    assert (await api.delete(path, headers={"If-Match": '"1"'})).status_code == 412
    assert (await api.delete(path, headers={"If-Match": '"2"'})).status_code == 204
    assert (await api.get(path)).status_code == 404


async def test_roles_that_may_record_orders(tenant: Tenant):
    contact = await create_contact(tenant.api)
    body = {"contact_id": contact["id"], "total": "1"}
    for role, status in (("sales", 201), ("manager", 201), ("marketing", 403), ("viewer", 403)):
        client = await tenant.as_role(role)
        assert (await client.post(ORDERS, json=body)).status_code == status, role
        assert (await client.get(ORDERS)).status_code == 200
