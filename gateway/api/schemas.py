"""Building blocks of the request and response models: strict bodies and safe text."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, StringConstraints

from gateway.printable import printable

MAX_ID = 2**31 - 1


def _encodable(value: str) -> str:
    # JSON may carry lone surrogates (\ud800) that no database can store: refuse them here, as a 422.
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("texte contenant des caractères invalides (demi-paires UTF-16)") from None
    return value


def _sms_text(value: str) -> str:
    # What reaches a phone: the one printable-text rule, CR/CRLF made LF (the 422 names the character).
    return printable(_encodable(value))


def _bounded(max_length: int, min_length: int = 0) -> StringConstraints:
    return StringConstraints(min_length=min_length, max_length=max_length)


Ref = Annotated[str, _bounded(160, 1), AfterValidator(_encodable)]  # a zone, street or category
Short = Annotated[str, _bounded(200), AfterValidator(_encodable)]
Phone = Annotated[str, _bounded(40, 1), AfterValidator(_encodable)]
Message = Annotated[str, _bounded(2000, 1), AfterValidator(_sms_text)]  # a text sent by SMS
OptionalMessage = Annotated[str, _bounded(2000), AfterValidator(_sms_text)]


class StrictModel(BaseModel):
    """Request bodies: an unknown field is an error (a typo must not be silently ignored)."""

    model_config = ConfigDict(extra="forbid")
