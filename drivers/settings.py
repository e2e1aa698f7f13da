"""Per-modem port settings, built by the gateway from its configuration."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PortSettings:
    """How to reach and drive one modem.

    ``device`` should be a stable path such as ``/dev/serial/by-id/usb-HUAWEI_...-if00-port0``
    (``/dev/ttyUSB0`` changes with plug order), or a simulator pty.
    Flow control is passed as is to pyserial: many USB-serial boards have no RTS/CTS lines, so
    all three default to off (python-gsmmodem hard-codes ``rtscts=True, dsrdtr=True``).
    ``smsc`` overrides the SIM's service centre number in every PDU (E.164, as the operator gives it).
    Timeouts are in seconds: ``submit_timeout`` is the wait for ``+CMGS`` after the PDU was written
    (Quectel documents up to 120 s).
    """

    device: str
    modem_id: str = ""
    baudrate: int = 115200
    pin: str | None = None
    smsc: str | None = None
    rtscts: bool = False
    dsrdtr: bool = False
    xonxoff: bool = False
    command_timeout: float = 10.0
    submit_timeout: float = 120.0
    registration_timeout: float = 30.0
    status_reports: bool = True

    @property
    def name(self) -> str:
        """The id used in events and logs: ``modem_id`` or else the device path."""
        return self.modem_id or self.device
