"""The table of AT commands: name -> handler, and what a handler may return."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from simulator.atparser import AtSyntaxError, Command, Kind, parse_int, unquote
from simulator.errors import CmeError, CmsError, PlainError

if TYPE_CHECKING:
    from simulator.modem import VirtualModem


@dataclass(frozen=True)
class Prompt:
    """Returned by AT+CMGS: the modem shows ``> `` and collects the message until Ctrl-Z."""

    text_mode: bool
    length: int = 0  # PDU mode: TPDU length announced
    destination: str = ""  # text mode
    toda: int = 129


Handler = Callable[["VirtualModem", Command], "list[str] | Prompt"]


@dataclass(frozen=True)
class Spec:
    handler: Handler
    needs_sim: bool
    sms: bool  # errors of this command are +CMS ERROR rather than +CME ERROR


REGISTRY: dict[str, Spec] = {}


def command(*names: str, needs_sim: bool = True, sms: bool = False) -> Callable[[Handler], Handler]:
    """Register a handler under one or more command names (upper case, with their prefix)."""

    def register(handler: Handler) -> Handler:
        for name in names:
            REGISTRY[name] = Spec(handler, needs_sim, sms)
        return handler

    return register


def bad_param(sms: bool) -> CmeError | CmsError | PlainError:
    """The error a modem gives for an out-of-range or malformed parameter."""
    return CmsError(302) if sms else CmeError(50)


def int_param(value: str, low: int, high: int, *, sms: bool = False) -> int:
    try:
        return parse_int(value, low, high)
    except AtSyntaxError as exc:
        raise bad_param(sms) from exc


def str_param(value: str, *, sms: bool = False) -> str:
    try:
        return unquote(value)
    except AtSyntaxError as exc:
        raise bad_param(sms) from exc


def params(cmd: Command, low: int, high: int, *, sms: bool = False) -> list[str]:
    """The parameters of a SET command, checking their count."""
    try:
        values = cmd.params()
    except AtSyntaxError as exc:
        raise PlainError() from exc
    if not low <= len(values) <= high:
        raise bad_param(sms)
    return values


__all__ = ["REGISTRY", "Command", "Kind", "Prompt", "Spec", "command", "int_param", "params", "str_param"]
