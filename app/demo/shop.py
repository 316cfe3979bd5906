"""A made-up shop of two years, from a seed: the same seed and day give the same shop.

Pure data, no I/O: `build()` returns the API request bodies, in the order they can be sent
(app/demo/load.py sends them). References between records are by position (`company`,
`contact`, `campaign`), resolved to ids as the records are created.

Customers come in three kinds, so that every KPI has something to show over the last year:
loyal ones who buy throughout; lapsed ones who bought in the first year only (the churn; a third
of them marked `churned`); and new ones, won in the last year, most through a campaign. A sixth of
the contacts never buy (the leads of the conversion rate).
"""

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

DAY = timedelta(days=1)
YEAR = 365 * DAY


@dataclass(frozen=True)
class Size:
    contacts: int
    companies: int
    campaigns: int
    deals: int
    feedback: int
    interactions: int


SIZES = {
    "small": Size(contacts=150, companies=20, campaigns=8, deals=40, feedback=90, interactions=200),
    "large": Size(
        contacts=5000, companies=400, campaigns=24, deals=800, feedback=2500, interactions=6000
    ),
}

FIRST_NAMES = [
    "Ada",
    "Alan",
    "Amara",
    "Ana",
    "Arjun",
    "Ben",
    "Carla",
    "Chen",
    "Dario",
    "Elena",
    "Emma",
    "Farid",
    "Grace",
    "Hana",
    "Ines",
    "Ivan",
    "Jonas",
    "Julia",
    "Kenji",
    "Lara",
    "Leon",
    "Lina",
    "Luca",
    "Maya",
    "Mei",
    "Nadia",
    "Noah",
    "Omar",
    "Paula",
    "Priya",
    "Rosa",
    "Sami",
    "Sofia",
    "Tariq",
    "Theo",
    "Uma",
    "Vera",
    "Yusuf",
    "Zoe",
]
LAST_NAMES = [
    "Adler",
    "Baker",
    "Costa",
    "Dubois",
    "Eriksen",
    "Fischer",
    "Garcia",
    "Haddad",
    "Ito",
    "Jensen",
    "Kowalski",
    "Lopez",
    "Meyer",
    "Nakamura",
    "Novak",
    "Okafor",
    "Petrov",
    "Quinn",
    "Rossi",
    "Schmidt",
    "Silva",
    "Tanaka",
    "Usman",
    "Varga",
    "Weber",
    "Yilmaz",
    "Zhang",
]
INDUSTRIES = ("retail", "hospitality", "software", "manufacturing", "education", "healthcare")
SIZES_OF_COMPANIES = ("1-10", "11-50", "51-200", "201-500", "501-1000")
SOURCES = ("web", "web", "web", "referral", "social", "marketplace", "trade_show")
TAGS = ("newsletter", "vip", "wholesale", "gift-buyer", "eco")
CATALOGUE = (
    ("TEA-001", "Sencha green tea 100 g", "8.50"),
    ("TEA-002", "Assam breakfast tea 250 g", "11.90"),
    ("TEA-003", "Rooibos vanilla 100 g", "7.20"),
    ("CUP-010", "Stoneware mug", "14.00"),
    ("POT-020", "Glass teapot 1 l", "32.00"),
    ("KIT-030", "Tasting kit, 12 teas", "39.00"),
    ("GFT-040", "Gift box", "54.00"),
    ("SUB-050", "Monthly tea subscription", "24.90"),
)
CAMPAIGN_CHANNELS = ("email", "paid_search", "social", "event", "affiliate")
LOST_REASONS = ("price", "went with a competitor", "no budget", "no answer")
INTERACTION_TYPES = ("email", "email", "call", "chat", "meeting", "note")


@dataclass
class Shop:
    """The request bodies, by resource, in the order they are sent."""

    companies: list[dict[str, Any]] = field(default_factory=list)
    campaigns: list[dict[str, Any]] = field(default_factory=list)
    spend: list[dict[str, Any]] = field(default_factory=list)
    contacts: list[dict[str, Any]] = field(default_factory=list)  # with `company`, `campaign`
    orders: list[dict[str, Any]] = field(default_factory=list)  # with `contact`
    churned: list[int] = field(default_factory=list)  # contacts marked churned after orders
    deals: list[dict[str, Any]] = field(default_factory=list)  # with `contact`, `path`
    feedback: list[dict[str, Any]] = field(default_factory=list)  # with `contact`, `workflow`
    interactions: list[dict[str, Any]] = field(default_factory=list)  # with `contact`


def build(seed: int, size: Size, now: datetime) -> Shop:
    rng = random.Random(seed)
    shop = Shop()
    shop.companies = [_company(rng, i) for i in range(size.companies)]
    scale = size.contacts / SIZES["small"].contacts  # spend grows with the shop
    shop.campaigns = [_campaign(rng, i, size, now, scale) for i in range(size.campaigns)]
    shop.spend = _spend(rng, now, scale)
    for i in range(size.contacts):
        contact, orders, churned = _customer(rng, i, shop, now)
        shop.contacts.append(contact)
        shop.orders += orders
        if churned:
            shop.churned.append(i)
    shop.deals = [_deal(rng, i, shop, now) for i in range(size.deals)]
    shop.feedback = [_feedback(rng, size.contacts, now) for _ in range(size.feedback)]
    # A few complaints of the last days, worked on now, whatever the draw above gave.
    for _ in range(max(3, size.feedback // 30)):
        shop.feedback.append(_feedback(rng, size.contacts, now, kind="complaint", within=6))
    shop.interactions = [_interaction(rng, size.contacts, now) for _ in range(size.interactions)]
    return shop


def _at(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _company(rng: random.Random, i: int) -> dict[str, Any]:
    name = f"{rng.choice(LAST_NAMES)} {rng.choice(('Cafe', 'Hotel', 'Deli', 'Market', 'Co'))}"
    return {
        "external_id": f"demo-company-{i:04d}",
        "name": f"{name} {i}",
        "domain": f"company{i}.example.com",
        "industry": rng.choice(INDUSTRIES),
        "size": rng.choice(SIZES_OF_COMPANIES),
    }


def _campaign(
    rng: random.Random, i: int, size: Size, now: datetime, scale: float
) -> dict[str, Any]:
    # Spread over the two years, oldest first, each running four to eight weeks.
    started = now - 2 * YEAR + (2 * YEAR) * (i + 0.5) / size.campaigns
    ended = started + rng.randint(28, 56) * DAY
    return {
        "name": f"{rng.choice(('Spring', 'Summer', 'Autumn', 'Winter'))} tea {i + 1}",
        "channel": CAMPAIGN_CHANNELS[i % len(CAMPAIGN_CHANNELS)],
        "status": "completed" if ended < now else "active",
        "started_at": _at(started),
        "ended_at": _at(ended) if ended < now else None,
        "cost": f"{rng.randint(3, 9) * 100 * scale:.2f}",
    }


def _spend(rng: random.Random, now: datetime, scale: float) -> list[dict[str, Any]]:
    entries = []
    for month in range(24):
        day = (now - (month + 1) * 30 * DAY).date().replace(day=1)
        for category, low, high in (("marketing", 120, 400), ("sales", 150, 450)):
            entries.append(
                {
                    "category": category,
                    "amount": f"{rng.randint(low, high) * scale:.2f}",
                    "incurred_on": day.isoformat(),
                    "description": f"{category.capitalize()} tools and people, {day:%B %Y}",
                }
            )
    return entries


def _customer(
    rng: random.Random, i: int, shop: Shop, now: datetime
) -> tuple[dict[str, Any], list[dict[str, Any]], bool]:
    kind = rng.choices(("lead", "lapsed", "loyal", "new"), weights=(16, 22, 37, 25))[0]
    first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
    contact: dict[str, Any] = {
        "external_id": f"demo-contact-{i:05d}",
        "first_name": first,
        "last_name": last,
        "email": f"{first}.{last}.{i}@example.com".lower(),
        "phone": f"+1555{rng.randint(0, 9_999_999):07d}",
        "source": rng.choice(SOURCES),
        "tags": sorted(rng.sample(TAGS, rng.randint(0, 2))),
        "lifecycle_stage": "prospect" if kind == "lead" and rng.random() < 0.4 else "lead",
    }
    if shop.companies and rng.random() < 0.3:
        contact["company"] = rng.randrange(len(shop.companies))
    days = _order_days(rng, kind, now)
    if kind == "new" and days and rng.random() < 0.7:
        contact["campaign"] = _campaign_before(shop, now - days[0] * DAY)
    orders = [_order(rng, i, n, now - day * DAY, now) for n, day in enumerate(days)]
    return contact, orders, kind == "lapsed" and rng.random() < 0.33


def _order_days(rng: random.Random, kind: str, now: datetime) -> list[float]:
    """How many days ago each order of the customer was placed, oldest first."""
    if kind == "lead":
        return []
    first, last = {"lapsed": (730, 420), "loyal": (730, 60), "new": (330, 2)}[kind]
    start = rng.uniform(last, first)
    days = [start]
    while len(days) < 12:
        following = days[-1] - rng.uniform(25, 140)
        if following < (last - 60 if kind == "lapsed" else 0.05):
            break
        days.append(following)
    return days


def _campaign_before(shop: Shop, moment: datetime) -> int | None:
    started = [i for i, c in enumerate(shop.campaigns) if c["started_at"] <= _at(moment)]
    return started[-1] if started else None


def _order(
    rng: random.Random, contact: int, n: int, moment: datetime, now: datetime
) -> dict[str, Any]:
    lines = []
    for sku, name, price in rng.sample(CATALOGUE, rng.randint(1, 3)):
        quantity = rng.choice((1, 1, 1, 2, 3))
        lines.append({"sku": sku, "name": name, "quantity": str(quantity), "unit_price": price})
    total = sum(Decimal(line["unit_price"]) * int(line["quantity"]) for line in lines)
    status = rng.choices(("paid", "refunded", "cancelled"), weights=(90, 5, 5))[0]
    if now - moment < 3 * DAY and rng.random() < 0.5:
        status = "pending"
    return {
        "external_id": f"demo-order-{contact:05d}-{n:02d}",
        "contact": contact,
        "ordered_at": _at(moment),
        "status": status,
        "total": f"{total:.2f}",
        "line_items": lines,
        "channel": rng.choice(("web", "web", "web", "pos", "marketplace")),
    }


def _deal(rng: random.Random, i: int, shop: Shop, now: datetime) -> dict[str, Any]:
    """A deal and the stages it moves through (from `Lead in`); the last one is where it ends."""
    open_stages = ["Lead in", "Qualified", "Proposal", "Negotiation"]
    reached = rng.randint(1, len(open_stages))
    path = open_stages[:reached]
    outcome = rng.choices(("open", "won", "lost"), weights=(45, 30, 25))[0]
    if outcome != "open":
        path.append("Won" if outcome == "won" else "Lost")
    deal: dict[str, Any] = {
        "external_id": f"demo-deal-{i:04d}",
        "name": f"Wholesale order {i + 1}",
        "amount": f"{rng.randint(5, 120) * 100}.00",
        "contact": rng.randrange(len(shop.contacts)),
        "expected_close_date": (now + rng.randint(5, 150) * DAY).date().isoformat(),
        "path": path,
    }
    if outcome == "lost":
        deal["lost_reason"] = rng.choice(LOST_REASONS)
    return deal


def _feedback(
    rng: random.Random, contacts: int, now: datetime, kind: str = "", within: float = 730
) -> dict[str, Any]:
    kinds = ("csat", "nps", "complaint", "suggestion", "praise")
    kind = kind or rng.choices(kinds, (40, 30, 15, 9, 6))[0]
    received = now - rng.uniform(0.2, within) * DAY
    item: dict[str, Any] = {
        "contact": rng.randrange(contacts),
        "kind": kind,
        "channel": rng.choice(("email", "survey", "phone", "chat")),
        "received_at": _at(received),
        "workflow": [],
    }
    if kind == "csat":
        item["score"] = rng.choices((1, 2, 3, 4, 5), weights=(3, 5, 12, 40, 40))[0]
    elif kind == "nps":
        item["score"] = rng.choices(range(11), weights=(1, 1, 1, 2, 2, 3, 4, 9, 15, 30, 32))[0]
    else:
        item["comment"] = _comment(rng, kind)
    # The API stamps responses with the time they are made: only the recent complaints are
    # worked on, so that response times stay those of a shop that answers within days.
    if kind == "complaint" and now - received < 21 * DAY:
        item["workflow"] = ["in_progress"] + (["resolved"] if rng.random() < 0.6 else [])
    return item


def _comment(rng: random.Random, kind: str) -> str:
    return rng.choice(
        {
            "complaint": ("The parcel arrived late.", "A tin was dented.", "Wrong tea sent."),
            "suggestion": ("Offer a decaf range.", "Smaller sample sizes, please."),
            "praise": ("Lovely tea, fast delivery.", "The gift box was a hit."),
        }[kind]
    )


def _interaction(rng: random.Random, contacts: int, now: datetime) -> dict[str, Any]:
    kind = rng.choice(INTERACTION_TYPES)
    item: dict[str, Any] = {
        "contact": rng.randrange(contacts),
        "type": kind,
        "occurred_at": _at(now - rng.uniform(0.1, 730) * DAY),
        "subject": rng.choice(("Order question", "Wholesale prices", "Delivery", "Follow-up")),
    }
    if kind in ("email", "call", "chat"):
        item["direction"] = rng.choice(("inbound", "outbound"))
    if kind == "call":
        item["duration_seconds"] = rng.randint(60, 1500)
    return item
