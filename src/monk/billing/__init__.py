"""Pure billing core of Monk: money, periods, aggregation, meter matching, rating and invoice calendars.

Everything in this package is deterministic and side-effect free. It depends only on the standard
library and python-dateutil; money is always :class:`decimal.Decimal` (dollars) or ``int`` (cents).
"""
