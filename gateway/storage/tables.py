"""Import every domain's models so that ``Base.metadata`` knows all tables (Alembic, schema checks).

Each domain adds one ``import gateway.<domain>.models`` line here when it adds tables.
"""

from __future__ import annotations

import gateway.alerts.models
import gateway.audit.models
import gateway.auth.models
import gateway.campaigns.models
import gateway.dispatch.models
import gateway.inbox.models
import gateway.outbox.models
import gateway.registry.models
from gateway.storage.base import Base

metadata = Base.metadata
# Referencing the package keeps the imports above "used" for linters whatever lines get added.
_PACKAGE = gateway

__all__ = ["Base", "metadata"]
