"""Errors of :mod:`gateway.campaigns`."""

from __future__ import annotations


class CampaignError(Exception):
    """Root of the campaigns package's errors (e.g. an inverted period)."""
