"""The customer base at the edges of each window, for churn and retention.

A customer is active at a moment if it has a paid order in the inactivity window before it,
[moment - span, moment) (span: the workspace's inactivity days). The chain of paid orders
(app/orders/chain.py) makes that a count: a contact is active at the moment once for its last
paid order before the moment, if that order is in the inactivity window. So, with no grouping
by contact:

- active at a moment: the orders in its inactivity window whose next paid order is not before
  the moment;
- still active at a window's end, of those active at its start, when the window is no longer
  than the span: the inactivity windows of start and end then overlap or touch, and a customer
  active at the start but not at the end is one whose last paid order before the end lies in
  [start - span, end - span): counted the same way, and subtracted.

A window longer than the span leaves a gap between the two inactivity windows, over which
only the contact's orders tell whether it is the same customer at both edges: those windows'
edges are read into one row per contact active at either, grouped (see `_both`).
"""

import asyncio
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    Integer,
    Select,
    and_,
    bindparam,
    case,
    func,
    literal_column,
    or_,
    select,
    union_all,
)

from app.core.aggregates import (
    Segment,
    by_window,
    merged,
    run,
    segment_params,
    segment_shape,
    window_params,
    windows_table,
)
from app.core.scope import Scope
from app.core.types import UTCDateTime
from app.core.windows import Window
from app.orders.figures import ORDER, ORDERS, last_until, paid

FIGURES = ("at_start", "marked", "retained", "at_end")


async def customer_base(
    scope: Scope,
    windows: Sequence[Window],
    segment: Segment | None,
    inactivity_days: int,
    churned: Select[Any],
) -> list[dict[str, Any]]:
    """Per window: the customers active at its start; of those, the ones marked churned (now)
    and the ones still active and not marked at its end; the customers active and not marked
    at its end."""
    span = timedelta(days=inactivity_days)
    short = [i for i, w in enumerate(windows) if w.end - span <= w.start]
    long = [i for i in range(len(windows)) if i not in short]
    covered = _edges([windows[i] for i in long])  # _both counts the customers at these
    moments = [m for m in _edges(windows) if m not in covered]
    active, lost, (at, both) = await asyncio.gather(
        _active(scope, [Window(m - span, m) for m in moments], segment, churned),
        _lost(scope, [windows[i] for i in short], span, segment, churned),
        _both(scope, [windows[i] for i in long], span, segment, churned),
    )
    at.update(zip(moments, active, strict=True))
    retained = {
        i: at[windows[i].start]["kept"] - x["lost"] for i, x in zip(short, lost, strict=True)
    }
    retained.update(zip(long, both, strict=True))
    return [
        {
            "at_start": at[w.start]["active"],
            "marked": at[w.start]["active"] - at[w.start]["kept"],
            "retained": retained[i],
            "at_end": at[w.end]["kept"],
        }
        for i, w in enumerate(windows)
    ]


def _edges(windows: Sequence[Window]) -> list[datetime]:
    return sorted({w.start for w in windows} | {w.end for w in windows})


def _kept(churned: Select[Any]) -> Any:
    """The order's contact is not marked churned (`churned`: the contacts feature's statement
    of the marked contacts)."""
    return ORDERS.contact_id.not_in(churned)


def _in(w: Any) -> Any:
    return and_(ORDERS.ordered_at >= w.c.start, ORDERS.ordered_at < w.c.end)


async def _active(
    scope: Scope, spans: Sequence[Window], segment: Segment | None, churned: Select[Any]
) -> list[dict[str, int]]:
    """Per moment (given as its inactivity window): the customers active at it, and those of
    them not marked churned."""
    if not spans:
        return []

    def build() -> Any:
        w = windows_table(spans)
        last = last_until(w.c.end)
        return (
            select(
                w.c.i,
                func.count().filter(last).label("active"),
                func.count().filter(last, _kept(churned)).label("kept"),
            )
            .select_from(w.join(ORDER, _in(w)))
            .where(*paid(segment))
            .group_by(w.c.i)
        )

    params = {"workspace_id": scope.workspace_id, **window_params(spans)}
    params.update(segment_params(segment))
    rows = await run(scope, ("active", len(spans), segment_shape(segment)), build, params)
    return by_window(rows, len(spans), {"active": 0, "kept": 0})


async def _lost(
    scope: Scope,
    windows: Sequence[Window],
    span: timedelta,
    segment: Segment | None,
    churned: Select[Any],
) -> list[dict[str, int]]:
    """Per window no longer than the span: the customers active and not marked at its start
    that are no longer active at its end, those whose last paid order before the end is in
    [start - span, end - span)."""
    if not windows:
        return []
    ranges = [Window(w.start - span, w.end - span) for w in windows]

    def build() -> Any:
        w = windows_table(ranges, until=lambda i: _at(f"w{i}_until"))
        return (
            select(w.c.i, func.count().label("lost"))
            .select_from(w.join(ORDER, _in(w)))
            .where(*paid(segment), last_until(w.c.until), _kept(churned))
            .group_by(w.c.i)
        )

    params = {"workspace_id": scope.workspace_id, **window_params(ranges)}
    params.update({f"w{i}_until": w.end for i, w in enumerate(windows)})
    params.update(segment_params(segment))
    rows = await run(scope, ("lost", len(ranges), segment_shape(segment)), build, params)
    return by_window(rows, len(ranges), {"lost": 0})


async def _both(
    scope: Scope,
    windows: Sequence[Window],
    span: timedelta,
    segment: Segment | None,
    churned: Select[Any],
) -> tuple[dict[datetime, dict[str, int]], list[int]]:
    """For windows longer than the span: the customers active at each of their edges (and
    those of them not marked churned), and per window the customers not marked that are
    active at both its edges. The edges' inactivity windows are merged into disjoint ranges of
    time, each read once (one index range scan), keeping a contact's last order before each
    edge with a flag for that edge; grouped by contact, the counts are of the contacts flagged
    at an edge, or at both edges of a window."""
    if not windows:
        return {}, []
    moments = _edges(windows)
    ranges = merged([(moment - span, moment) for moment in moments])
    # Which range holds each moment's inactivity window: part of the statement's text.
    held = tuple(
        next(k for k, (first, last) in enumerate(ranges) if first <= moment - span < last)
        for moment in moments
    )
    edges = tuple((moments.index(w.start), moments.index(w.end)) for w in windows)
    params: dict[str, Any] = {"workspace_id": scope.workspace_id, **segment_params(segment)}
    for j, moment in enumerate(moments):
        params[f"m{j}_since"], params[f"m{j}_at"] = moment - span, moment
    for k, (first, last) in enumerate(ranges):
        params[f"r{k}_from"], params[f"r{k}_to"] = first, last

    def build() -> Any:
        f = _flagged(held, len(ranges), segment, churned)
        kept = f.c.marked == 0
        at = []
        for j in range(len(moments)):
            at.append(func.count().filter(f.c[f"a{j}"] == 1).label(f"m{j}_active"))
            at.append(func.count().filter(f.c[f"a{j}"] == 1, kept).label(f"m{j}_kept"))
        both = (
            func.count().filter(f.c[f"a{start}"] == 1, f.c[f"a{end}"] == 1, kept).label(f"w{i}")
            for i, (start, end) in enumerate(edges)
        )
        return select(*at, *both)

    shape = ("both", len(ranges), held, edges, segment_shape(segment))
    (row,) = await run(scope, shape, build, params)
    at = {
        moment: {"active": row[f"m{j}_active"] or 0, "kept": row[f"m{j}_kept"] or 0}
        for j, moment in enumerate(moments)
    }
    return at, [row[f"w{i}"] or 0 for i in range(len(windows))]


def _flagged(
    held: tuple[int, ...], ranges: int, segment: Segment | None, churned: Select[Any]
) -> Any:
    """One row per contact active at one of the moments: a<j> = 1 if it was active at moment
    j, and `marked` = 1 if it is marked churned. `held`: the range of each moment."""
    ordered = ORDERS.ordered_at

    def active(j: int) -> Any:
        at = _at(f"m{j}_at")
        return and_(ordered >= _at(f"m{j}_since"), ordered < at, last_until(at))

    branches = []
    for k in range(ranges):
        mine = [j for j, holder in enumerate(held) if holder == k]
        flags = (
            case((active(j), 1), else_=0) if j in mine else literal_column("0", Integer)
            for j in range(len(held))
        )
        branches.append(
            select(ORDERS.contact_id, *(flag.label(f"a{j}") for j, flag in enumerate(flags))).where(
                *paid(segment),
                ordered >= _at(f"r{k}_from"),
                ordered < _at(f"r{k}_to"),
                or_(*(active(j) for j in mine)),
            )
        )
    o = (union_all(*branches) if ranges > 1 else branches[0]).subquery("o")
    return (
        select(
            *(func.max(o.c[f"a{j}"]).label(f"a{j}") for j in range(len(held))),
            case((o.c.contact_id.in_(churned), 1), else_=0).label("marked"),
        )
        .group_by(o.c.contact_id)
        .subquery("f")
    )


def _at(name: str) -> Any:
    return bindparam(name, type_=UTCDateTime())
