from datetime import date

import pytest

from monk.billing.calendar import InvoiceSlot, due_date, invoice_slots
from monk.billing.periods import Period, billing_periods

JAN = Period(date(2026, 1, 1), date(2026, 2, 1))
FEB = Period(date(2026, 2, 1), date(2026, 3, 1))
MAR = Period(date(2026, 3, 1), date(2026, 4, 1))
APR = Period(date(2026, 4, 1), date(2026, 5, 1))


def test_fixed_term_january_to_april_has_five_invoices() -> None:
    periods = billing_periods(
        start=date(2026, 1, 1),
        end=date(2026, 5, 1),
        anchor=date(2026, 1, 1),
        months=1,
        until=date(2026, 1, 1),
    )
    assert periods == [JAN, FEB, MAR, APR]
    slots = invoice_slots(periods, fixed_term=True)
    assert slots == [
        InvoiceSlot(index=0, invoice_date=date(2026, 1, 1), fee_period=JAN, usage_period=None),
        InvoiceSlot(index=1, invoice_date=date(2026, 2, 1), fee_period=FEB, usage_period=JAN),
        InvoiceSlot(index=2, invoice_date=date(2026, 3, 1), fee_period=MAR, usage_period=FEB),
        InvoiceSlot(index=3, invoice_date=date(2026, 4, 1), fee_period=APR, usage_period=MAR),
        InvoiceSlot(index=4, invoice_date=date(2026, 5, 1), fee_period=None, usage_period=APR),
    ]


def test_rolling_contract_has_one_invoice_per_period() -> None:
    slots = invoice_slots([JAN, FEB], fixed_term=False)
    assert [s.invoice_date for s in slots] == [date(2026, 1, 1), date(2026, 2, 1)]
    assert slots[-1].fee_period == FEB
    assert slots[-1].usage_period == JAN


def test_every_period_is_fee_billed_once_and_usage_billed_once_in_fixed_term() -> None:
    periods = [JAN, FEB, MAR]
    slots = invoice_slots(periods, fixed_term=True)
    assert [s.fee_period for s in slots if s.fee_period] == periods
    assert [s.usage_period for s in slots if s.usage_period] == periods
    for slot in slots:
        if slot.usage_period is not None:
            assert slot.invoice_date == slot.usage_period.end


def test_stub_first_period() -> None:
    stub = Period(date(2026, 1, 15), date(2026, 2, 1))
    slots = invoice_slots([stub, FEB], fixed_term=True)
    assert [s.invoice_date for s in slots] == [date(2026, 1, 15), date(2026, 2, 1), date(2026, 3, 1)]


def test_empty_and_non_contiguous() -> None:
    assert invoice_slots([], fixed_term=True) == []
    with pytest.raises(ValueError, match="contiguous"):
        invoice_slots([JAN, MAR], fixed_term=False)


@pytest.mark.parametrize(
    ("invoice_date", "net", "expected"),
    [
        (date(2026, 1, 1), 30, date(2026, 1, 31)),
        (date(2026, 2, 1), 30, date(2026, 3, 3)),
        (date(2028, 2, 1), 30, date(2028, 3, 2)),
        (date(2026, 12, 15), 45, date(2027, 1, 29)),
        (date(2026, 1, 1), 0, date(2026, 1, 1)),
    ],
)
def test_due_date(invoice_date: date, net: int, expected: date) -> None:
    assert due_date(invoice_date, net) == expected


def test_due_date_rejects_negative_terms() -> None:
    with pytest.raises(ValueError, match="negative"):
        due_date(date(2026, 1, 1), -1)
