"""The overview (``/``): this month's billed and upcoming revenue, invoices due and overdue, unmatched events,
failed webhook deliveries and payments, each a link to the page that resolves it."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response

from monk.dashboard.web import SignedIn

router = APIRouter(include_in_schema=False)


@router.get("/", response_class=HTMLResponse)
async def home(web: SignedIn) -> Response:
    """The signed-in home page: organization, email, role and the live/test switch; logged out → ``/login``."""
    return web.render("home.html")
