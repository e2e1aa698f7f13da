"""The console's pages, one module per page or group of pages; each module has a ``router`` (see
:mod:`gateway.console` for how to add one)."""
