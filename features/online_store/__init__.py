"""The online store: each customer's latest features, segments and scores, read by the service per request.

Backends: SQLite (default, embedded, safe with several worker processes) and Redis
(``CIBLE_ONLINE_STORE=redis://host:port/db``) for several workers or hosts. :func:`open_store` picks one.
"""
