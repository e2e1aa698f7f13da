"""AT command handlers, grouped by standard: V.250 and 27.007 general, 27.007 network, 27.005 SMS.

Importing the package fills :data:`REGISTRY`; the modem looks commands up there.
"""

import simulator.commands.general
import simulator.commands.network_cmds
import simulator.commands.sms  # noqa: F401 - registration side effects
from simulator.commands.registry import REGISTRY, Prompt

__all__ = ["REGISTRY", "Prompt"]
