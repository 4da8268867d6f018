"""``monk bench``: the ingestion benchmark (docs/benchmarks.md).

``runner`` starts the real server on a fresh database and orchestrates the run; ``load`` is the
load driver, run as its own process; ``http`` a minimal keep-alive HTTP/1.1 client fast enough not
to be the bottleneck; ``raw`` the raw write baseline; ``rss`` samples the server's memory;
``report`` prints the table.
"""
