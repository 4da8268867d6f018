"""The dashboard's pages, one module per section of the navigation (``templates/layout.html``); each
module has a ``router`` the app includes (``ROUTERS``). Shared machinery: ``monk.dashboard.web``."""

from __future__ import annotations

from fastapi import APIRouter

from monk.dashboard.pages import catalog, contracts, credits, customers, invoices, overview, settings, usage

ROUTERS: tuple[APIRouter, ...] = (overview.router, customers.router, invoices.router, catalog.router,
                                   contracts.router, credits.router, usage.router, settings.router)
