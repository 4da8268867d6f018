"""The orchestration that bills a contract: load its billing context (``context``, ``repository``),
match events to contracts and meters (``matching``), fold usage into rollups per billing period
(``rollups``) and per meter and UTC day (``usage_days``), rate with the pure core (``monk.billing``),
persist drafts and finalize them (``service``).

Domain packages (contracts, ratecards, usage…) and the worker call it; it calls repositories and
``monk.billing`` only, never a domain's service, so every package depends only downward."""
