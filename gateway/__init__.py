"""The Vigicommerce alert gateway daemon: storage, register, alerts, outbox, dispatch, API, CLI."""
