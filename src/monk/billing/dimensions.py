"""Dimensional rates (concepts §9, §15): which unit price applies to one combination of group-key values.

A meter with group keys splits its usage into *dimension combinations*, written here as
``((group_key, value), ...)``. The unit price of one combination is resolved in this order (the first
that applies wins):

1. a contract override for exactly that combination (``override_exact``);
2. a contract override for the whole pricing, i.e. every combination (``override_all``);
3. the meter's rate-card entry for exactly that combination (``rate_entries``);
4. the rate card's fallback rate (``fallback``);
5. the pricing's own ``unitAmount`` (``pricing_unit``).

Matching is exact and case-sensitive on the string values, over *all* group keys; there are no
partial matches or wildcards. An event that lacks a group key carries the value ``""`` for it, which no
entry holds (rate cards refuse empty values), so it falls through to the fallback. The order of the
pairs does not matter: combinations are compared in canonical form (sorted by key, see ``canonical``).
All amounts are exact ``Decimal`` dollars per unit; nothing here rounds.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal

__all__ = [
    "SOURCES",
    "Dimensions",
    "ResolvedRate",
    "canonical",
    "parse_dimension_spec",
    "resolve_rate",
    "resolve_unit_amount",
]

Dimensions = tuple[tuple[str, str], ...]
"""One combination of group-key values: ``(("region", "US"), ("call_outcome", "resolved"))``."""

SOURCES: tuple[str, ...] = ("override", "override_all", "rate_card", "fallback", "pricing")


@dataclass(frozen=True)
class ResolvedRate:
    """The unit price (dollars per unit) of one combination and where it came from.

    ``source`` is one of ``SOURCES``: ``override`` (contract override for the combination),
    ``override_all`` (contract override for the whole pricing), ``rate_card`` (an entry),
    ``fallback`` (the rate card's fallback) or ``pricing`` (the pricing's ``unitAmount``).
    """

    unit_amount: Decimal
    source: str


def canonical(dimensions: Mapping[str, str] | Iterable[tuple[str, str]]) -> Dimensions:
    """The canonical form of a combination: ``(key, value)`` pairs sorted by key.

    Accepts a mapping (``{"region": "US"}``) or pairs. ``canonical({"b": "1", "a": "2"}) ==
    (("a", "2"), ("b", "1"))``; ``canonical(())`` is ``()``. Raises ``ValueError`` when a key repeats.
    """
    pairs = list(dimensions.items()) if isinstance(dimensions, Mapping) else list(dimensions)
    keys = [k for k, _ in pairs]
    if len(set(keys)) != len(keys):
        raise ValueError(f"a dimension key appears twice in {pairs!r}")
    return tuple(sorted(pairs))


def resolve_rate(
    dimensions: Mapping[str, str] | Iterable[tuple[str, str]],
    *,
    pricing_unit: Decimal | None,
    rate_entries: Mapping[Dimensions, Decimal] | None = None,
    fallback: Decimal | None = None,
    override_exact: Mapping[Dimensions, Decimal] | None = None,
    override_all: Decimal | None = None,
) -> ResolvedRate | None:
    """Resolve the unit price of one combination (see the module docstring for the order).

    ``dimensions`` is the combination (a mapping or ``(key, value)`` pairs, any order).
    ``rate_entries`` and ``override_exact`` are keyed by ``canonical`` combinations (build them with
    ``canonical``). ``pricing_unit`` is the pricing's ``unitAmount``; None when the pricing has none
    (then, if nothing else applies, the result is None: there is no rate).

    Example (concepts §9): entries US/resolved 2.00 and EU/resolved 2.50, fallback 4.00, pricing 5.00:
    US/resolved -> 2.00 (``rate_card``); LATAM/resolved -> 4.00 (``fallback``); with
    ``override_exact`` {US/resolved: 1.50} -> 1.50 (``override``).
    Raises ``ValueError`` when a key repeats inside ``dimensions``.
    """
    key = canonical(dimensions)
    if override_exact and key in override_exact:
        return ResolvedRate(override_exact[key], "override")
    if override_all is not None:
        return ResolvedRate(override_all, "override_all")
    if rate_entries and key in rate_entries:
        return ResolvedRate(rate_entries[key], "rate_card")
    if fallback is not None:
        return ResolvedRate(fallback, "fallback")
    if pricing_unit is not None:
        return ResolvedRate(pricing_unit, "pricing")
    return None


def resolve_unit_amount(
    dimensions: Mapping[str, str] | Iterable[tuple[str, str]],
    *,
    pricing_unit: Decimal,
    rate_entries: Mapping[Dimensions, Decimal] | None = None,
    fallback: Decimal | None = None,
    override_exact: Mapping[Dimensions, Decimal] | None = None,
    override_all: Decimal | None = None,
) -> Decimal:
    """The unit price (dollars per unit) of one combination; ``resolve_rate`` without the source.

    ``pricing_unit`` is required here, so a price always exists. Raises ``ValueError`` when a key
    repeats inside ``dimensions``.
    """
    resolved = resolve_rate(dimensions, pricing_unit=pricing_unit, rate_entries=rate_entries, fallback=fallback,
                            override_exact=override_exact, override_all=override_all)
    assert resolved is not None  # pricing_unit is never None here
    return resolved.unit_amount


def parse_dimension_spec(spec: str) -> Dimensions:
    """Parse the enterprise guide's combination syntax ``"key=value[,key2=value2]"`` (concepts §15).

    ``"model=gpt-4"`` -> ``(("model", "gpt-4"),)``; ``"region=US, call_outcome=resolved"`` ->
    ``(("call_outcome", "resolved"), ("region", "US"))`` (canonical order; blanks around keys and values
    are stripped; a value may contain ``=``, not ``,``). Raises ``ValueError`` for an empty spec, a part
    without ``=``, an empty key or value, or a key given twice.
    """
    if not spec.strip():
        raise ValueError("an empty dimension spec; expected 'key=value[,key2=value2]'")
    pairs: list[tuple[str, str]] = []
    for part in spec.split(","):
        key, sep, value = part.partition("=")
        key, value = key.strip(), value.strip()
        if not sep or not key or not value:
            raise ValueError(f"malformed dimension '{part.strip()}' in '{spec}'; expected 'key=value[,key2=value2]'")
        pairs.append((key, value))
    try:
        return canonical(pairs)
    except ValueError:
        raise ValueError(f"a dimension key appears twice in '{spec}'") from None
