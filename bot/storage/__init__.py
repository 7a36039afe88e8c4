"""Shared state on real servers, for several replicas of `faqbot serve`: feedback in PostgreSQL
(postgres.py) and rate limits in Redis (shared_limits.py). Each is chosen by a URL setting; without
one the embedded defaults (SQLite, per-process limits) are used and these modules are not imported."""
