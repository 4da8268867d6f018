"""``/usage/chart``: usage of one meter per UTC day as a server-side SVG bar chart (no script), read from the
day rows the worker keeps as it matches events (``events.repository.daily_usage``). Routes on
``pages.usage.router``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from fastapi import Query
from fastapi.responses import Response

from monk.billing.aggregation import Summary
from monk.billing.money import format_quantity
from monk.dashboard.pages.catalog_meters import meter_options
from monk.dashboard.pages.usage import bounded_int, parse_day, router
from monk.dashboard.web import SignedIn
from monk.events import repository as events
from monk.meters import service as meter_service
from monk.models import Meter, UsageDay

DEFAULT_DAYS = 30
MAX_DAYS = 31
WIDTH, HEIGHT = 720, 260
LEFT, RIGHT, TOP, BOTTOM = 64, 12, 16, 40


@dataclass(frozen=True)
class Bar:
    """One day's bar: position and size in the SVG's units, the day and its exact total."""

    day: date
    total: Decimal
    x: float
    y: float
    width: float
    height: float

    @property
    def label(self) -> str:
        """The tooltip: ``YYYY-MM-DD: <total>``."""
        return f"{self.day.isoformat()}: {format_quantity(self.total)}"


def day_total(meter: Meter, row: UsageDay) -> Decimal:
    """A day's usage as the meter aggregates it: COUNT counts records, SUM sums, MAX/MIN take the
    extreme, UNIQUE_COUNT counts distinct values."""
    kind = meter.aggregation_type
    if kind == "UNIQUE_COUNT":
        return Decimal(row.distinct_values)
    return Summary(row.count, row.sum, row.min, row.max).quantity(kind)


def bars(days: list[date], totals: dict[date, Decimal]) -> tuple[list[Bar], Decimal]:
    """One bar per day of ``days`` (0 where no usage), scaled to the tallest; and that top value."""
    top = max([totals.get(d, Decimal(0)) for d in days] + [Decimal(0)])
    slot = (WIDTH - LEFT - RIGHT) / max(len(days), 1)
    plot = HEIGHT - TOP - BOTTOM
    out = []
    for i, d in enumerate(days):
        total = totals.get(d, Decimal(0))
        height = float(total / top) * plot if top > 0 else 0.0
        out.append(Bar(d, total, round(LEFT + i * slot + slot * 0.1, 2), round(TOP + plot - height, 2),
                       round(slot * 0.8, 2), round(height, 2)))
    return out, top


@router.get("/usage/chart")
async def usage_chart(
    web: SignedIn,
    meter: str = Query(""),
    days: str | None = Query(None),
    to: str = Query(""),
) -> Response:
    """Usage of meter ``meter`` (an id; default: the first meter) per UTC day over ``days`` days (default 30,
    7..31) ending on ``to`` (a UTC date, default today), as an SVG bar chart with a ``<title>`` per bar giving
    the day's exact total, and a meter select (the first 100 meters, archived ones too); at most 31 day
    rows are read, whatever the volume of events. 404 for a meter of another
    organization or mode; a malformed ``to`` → 400 with the message next to the field."""
    listed, options = await meter_options(web)
    chosen: Meter | None = None
    if meter:
        chosen = await meter_service.get(web.session, web.principal, meter)
    elif listed:
        chosen = listed[0]
    span = bounded_int(days, DEFAULT_DAYS, 7, MAX_DAYS)
    errors: dict[str, str] = {}
    last = web.now.date()
    try:
        last = parse_day(to) or last
    except ValueError:
        errors["to"] = "Enter a date as YYYY-MM-DD."
    if not date(2000, 2, 1) <= last <= date(2099, 12, 30):
        errors["to"], last = "Enter a date between 2000-02-01 and 2099-12-30.", web.now.date()
    day_list = [last - timedelta(days=span - 1 - i) for i in range(span)]
    chart: list[Bar] = []
    top = Decimal(0)
    if chosen is not None and not errors:
        rows = await events.daily_usage(web.session, chosen.id, day_list[0], last)
        totals = {r.day: day_total(chosen, r) for r in rows}
        chart, top = bars(day_list, totals)
    if chosen is not None and chosen.id not in {m.id for m in listed}:
        options.append((chosen.id, f"{chosen.code} — {chosen.display_name}"))
    total = sum((b.total for b in chart), Decimal(0))
    return web.render(
        "usage_chart.html", 400 if errors else 200, meter=chosen, options=options, span=span, bars=chart,
        top=format_quantity(top), total=format_quantity(total), first=day_list[0], last=last, to=to, errors=errors,
        width=WIDTH, height=HEIGHT, left=LEFT, top_y=TOP, base_y=HEIGHT - BOTTOM, right_x=WIDTH - RIGHT)
