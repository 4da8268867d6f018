"""``python -m tests.peers.localstripe_server --port N [--state FILE]``: the ``localstripe`` server from
PyPI, with the one PaymentIntent parameter Monk sends that it does not know, and its state kept in
``FILE`` (loaded at start, so a stopped server comes back with its data) instead of a fixed
``/tmp/localstripe.pickle`` shared by every server on the machine.

``setup_future_usage`` (Stripe: save the PaymentMethod on the PaymentIntent's customer once the
payment succeeds) is refused by localstripe 1.15 as an unexpected argument. Here it is accepted,
echoed on the PaymentIntent, and on success the method is attached to the customer, as Stripe does.
Nothing else of the server is changed."""

from __future__ import annotations

import pickle
import sys
from pathlib import Path
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


_original_initialize_charge = resources.Charge._initialize_charge


def _initialize_charge(self: Any, on_success: Any = None, on_failure_now: Any = None,
                       on_failure_later: Any = None) -> None:
    """As Stripe: an authorized bank debit stays ``pending`` (its PaymentIntent ``processing``) until it
    settles; localstripe 1.15 marks it succeeded at once and settles it half a second later."""
    if self._authorized and self._is_async_payment_method():
        if self.captured:
            self._trigger_payment(on_success)
        return
    _original_initialize_charge(self, on_success, on_failure_now, on_failure_later)


resources.Charge._initialize_charge = _initialize_charge  # type: ignore[method-assign]
resources.PaymentIntent.__init__ = _init  # type: ignore[method-assign]
resources.PaymentIntent._on_success = _on_success  # type: ignore[method-assign]



def _keep_state_in(path: Path | None) -> None:
    def load(store: Any) -> None:
        if path is not None and path.exists():
            store.clear()
            store.update(pickle.loads(path.read_bytes()))

    def dump(store: Any) -> None:
        if path is not None:
            path.write_bytes(pickle.dumps(dict(store), protocol=pickle.HIGHEST_PROTOCOL))

    resources.Store.try_load_from_disk = load  # type: ignore[method-assign]
    resources.Store.dump_to_disk = dump  # type: ignore[method-assign]


if __name__ == "__main__":
    state = None
    if "--state" in sys.argv:
        at = sys.argv.index("--state")
        state = Path(sys.argv[at + 1])
        del sys.argv[at:at + 2]
    _keep_state_in(state)
    server.start()  # loads the state file when there is one
