"""The local HTTP API: ``create_app(context)`` builds the FastAPI application, ``server`` runs it in the daemon.

Modules: ``context`` (what the routes need), ``errors`` (the JSON error format), ``limits`` (body size,
UTF-8, slow clients), ``security`` (bearer tokens and roles), ``cap`` (OASIS CAP 1.2 parsing),
``metrics`` (Prometheus text), ``routes/*`` (one router per resource), ``openapi`` (the committed document).
"""
