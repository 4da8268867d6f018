"""The status enums are the stored values and the wire values, byte for byte."""

from __future__ import annotations

import typing

from monk.events.schemas import StoredEvent as EventOut
from monk.invoices.schemas import STATUSES
from monk.meters.schemas import Meter as MeterOut
from monk.models import Event, Invoice, Meter, Plan
from monk.models.statuses import (
    OPEN_INVOICE_STATUSES,
    EventStatus,
    InvoiceKind,
    InvoiceStatus,
    MeterStatus,
    PlanStatus,
)
from monk.plans.schemas import PlanStatus as PlanStatusWire


def _literal(model: type, field: str) -> set[str]:
    return set(typing.get_args(model.model_fields[field].annotation))


def test_invoice_statuses_are_the_documented_ones_in_order() -> None:
    assert STATUSES == ("Drafted", "In Progress", "Sent", "In Transit", "Paid", "Cancelled", "Refunded")
    assert OPEN_INVOICE_STATUSES == ("Drafted", "In Progress")


def test_wire_literals_are_the_enum_values() -> None:
    assert _literal(EventOut, "status") == {s.value for s in EventStatus}
    assert _literal(MeterOut, "status") == {s.value for s in MeterStatus}
    assert set(typing.get_args(PlanStatusWire)) == {s.value for s in PlanStatus}


def test_column_defaults_are_enum_members() -> None:
    assert Invoice.__table__.c.status.default.arg is InvoiceStatus.DRAFTED
    assert Invoice.__table__.c.kind.default.arg is InvoiceKind.REGULAR
    assert Event.__table__.c.status.default.arg is EventStatus.PENDING
    assert Meter.__table__.c.status.default.arg is MeterStatus.ACTIVE
    assert Plan.__table__.c.status.default.arg is PlanStatus.ACTIVE


def test_members_are_their_stored_text() -> None:
    assert InvoiceStatus.IN_PROGRESS == "In Progress" and f"{InvoiceStatus.IN_PROGRESS}" == "In Progress"
    assert str(EventStatus.PENDING) == "pending"


def test_stored_values_of_other_fields_match_the_wire() -> None:
    from monk.contracts.schemas import ChangePlanBody
    from monk.models.statuses import ChangeOption, LineKind

    assert _literal(ChangePlanBody, "change_option") == {s.value for s in ChangeOption}
    assert [k.value for k in LineKind] == ["fee", "one_time", "usage", "adjustment"]


GUARDED = {s.value for s in InvoiceStatus} | {s.value for s in EventStatus}


def test_no_status_is_spelled_as_a_string_literal_in_code() -> None:
    """Code outside the enums, the API schemas (wire types) and the migrations (frozen history) writes
    and compares statuses through the enums, never as bare strings (messages and docstrings may name them)."""
    import ast
    from pathlib import Path

    import monk

    root = Path(monk.__file__).parent
    found = []
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(root).as_posix()
        if rel.startswith(("migrations/", "bench/")) or rel.endswith("schemas.py") or rel == "models/statuses.py":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in GUARDED:
                found.append(f"{rel}:{node.lineno} {node.value!r}")
    assert found == []
