"""The overview (``/``): this month's billed and upcoming revenue, invoices due and overdue, unmatched events,
failed webhook deliveries and payments, each a link to the page that resolves it."""

from __future__ import annotations

from datetime import date, timedelta

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response

from monk.customers import repository as customers
from monk.dashboard.web import SignedIn
from monk.events import repository as events
from monk.invoices import repository as invoices
from monk.payments import repository as payments
from monk.payments.schemas import attempt_out
from monk.webhooks import repository as webhooks

router = APIRouter(include_in_schema=False)
RECENT = timedelta(days=30)
"""Failed webhook deliveries and payments are counted over the last 30 days."""


def month_of(day: date) -> tuple[date, date]:
    """The calendar month (UTC) holding ``day``: its first day and the first day of the next month."""
    start = day.replace(day=1)
    return start, (start + timedelta(days=32)).replace(day=1)


@router.get("/", response_class=HTMLResponse)
async def home(web: SignedIn) -> Response:
    """The overview of the session's organization and mode: this UTC month's billed revenue (finalized
    invoices dated this month) and upcoming revenue (open invoices dated this month, so far), invoices
    due and overdue (count and cents), unmatched events, webhook deliveries and payments that failed in
    the last 30 days (the latest five payments listed); each figure links to the page that resolves it."""
    today = web.now.date()
    start, end = month_of(today)
    figures = await invoices.month_figures(web.session, web.principal, start=start, end=end, today=today)
    unmatched = await events.unmatched_count(web.session, web.principal)
    failed_deliveries = await webhooks.failed_count(web.session, web.principal, since=web.now - RECENT)
    attempts, failed_payments = await payments.failed_since(web.session, web.principal, since=web.now - RECENT,
                                                           limit=5)
    names = await customers.names(web.session, web.principal, {a.customer_id for a in attempts})
    return web.render("home.html", figures=figures, month=start.strftime("%B %Y"), unmatched=unmatched,
                      failed_deliveries=failed_deliveries, failed_payments=failed_payments,
                      attempts=[(attempt_out(a), a.customer_id) for a in attempts], names=names)
