"""The PostgreSQL backend: a ``Database`` twin over psycopg and the dialect it needs.

``dialect`` turns the SQLite statements of this package into PostgreSQL ones (placeholders,
``INSERT OR IGNORE/REPLACE``, ``group_concat``, ``json_each``, ``RETURNING id``) and derives
the PostgreSQL schema from ``schema.sql``; ``triggers.sql`` is the one hand-written twin (the
``refs`` triggers in PL/pgSQL). ``database`` is the connection and its transactions;
``locks`` the advisory lock that stands in for the host-local staging ``flock``.
psycopg is imported only when a ``postgresql://`` store is opened.
"""

URL_PREFIXES = ("postgresql://", "postgres://")


def is_url(text: object) -> bool:
    """True if ``text`` names a PostgreSQL store (a ``postgresql://`` or ``postgres://`` URL)."""
    return isinstance(text, str) and text.startswith(URL_PREFIXES)
