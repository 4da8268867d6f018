"""``python -m tests.peers.localstripe_server --port N``: the ``localstripe`` server from PyPI, with
the one PaymentIntent parameter Monk sends that it does not know.

``setup_future_usage`` (Stripe: save the PaymentMethod on the PaymentIntent's customer once the
payment succeeds) is refused by localstripe 1.15 as an unexpected argument. Here it is accepted,
echoed on the PaymentIntent, and on success the method is attached to the customer, as Stripe does.
Nothing else of the server is changed."""

from __future__ import annotations

import sys
from typing import Any

from localstripe import resources, server

_original_init = resources.PaymentIntent.__init__
_original_success = resources.PaymentIntent._on_success


def _init(self: Any, *args: Any, setup_future_usage: str | None = None, **kwargs: Any) -> None:
    if setup_future_usage not in (None, "on_session", "off_session"):
        raise resources.UserError(400, "Bad request")
    _original_init(self, *args, **kwargs)
    self.setup_future_usage = setup_future_usage


def _on_success(self: Any) -> None:
    if getattr(self, "setup_future_usage", None) and self.customer and self.payment_method:
        method = resources.PaymentMethod._api_retrieve(self.payment_method)
        if getattr(method, "customer", None) is None:
            resources.PaymentMethod._api_attach(self.payment_method, customer=self.customer)
    _original_success(self)


resources.PaymentIntent.__init__ = _init  # type: ignore[method-assign]
resources.PaymentIntent._on_success = _on_success  # type: ignore[method-assign]

if __name__ == "__main__":
    if "--from-scratch" not in sys.argv:
        sys.argv.append("--from-scratch")
    server.start()
