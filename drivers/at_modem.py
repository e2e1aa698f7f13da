"""``AtModem``: the ``Modem`` interface over our AT transport and python-gsmmodem's PDU codec."""

from __future__ import annotations

import dataclasses
import logging
import queue
import secrets
import threading
import time
from collections.abc import Callable

from drivers import replies
from drivers.at_parser import Urc
from drivers.base import (
    EventCallback,
    LateSubmitResult,
    Modem,
    ModemEvent,
    ModemInfo,
    ModemState,
    ModemStateChanged,
    Resume,
    SubmitResult,
    TextPolicy,
)
from drivers.errors import (
    CommandFailed,
    ModemError,
    ModemGone,
    ModemTimeout,
    NotRegistered,
    PinRequired,
    SimFailure,
    SubmitRejected,
    partial_submit,
)
from drivers.settings import PortSettings
from drivers.sms_codec import decode_received, encode_submit
from drivers.text import analyse
from drivers.transport import SerialPort, Transport, open_serial

log = logging.getLogger(__name__)

# +CME ERROR codes (3GPP TS 27.007 §9.2) met while unlocking the SIM.
_CME_SIM_NOT_INSERTED, _CME_PIN, _CME_PUK, _CME_SIM_FAILURE, _CME_SIM_BUSY, _CME_WRONG_PIN = 10, 11, 12, 13, 14, 16
_CREG_DENIED = 3
_STOP = object()
_SWEEP = object()  # list what the SIM still stores and act on it (on the event thread)

PortFactory = Callable[[PortSettings], SerialPort]


def _ignore(_event: ModemEvent) -> None:
    return None


class AtModem:
    """One modem driven with AT commands in PDU mode. See ``drivers.base.Modem`` for the contract.

    Threads per open modem: the transport's reader, and one event thread that runs ``on_event``
    and the AT commands URCs call for (AT+CMGR/AT+CMGD after +CMTI), never the reader itself.
    """

    def __init__(
        self, settings: PortSettings, on_event: EventCallback | None = None, *, port_factory: PortFactory = open_serial
    ) -> None:
        self.modem_id = settings.name
        self._settings = settings
        self._on_event = on_event or _ignore
        self._port_factory = port_factory
        self._lifecycle = threading.Lock()
        self._transport: Transport | None = None
        self._work: queue.Queue[object] = queue.Queue()
        self._event_thread: threading.Thread | None = None
        self._info: ModemInfo | None = None
        self._registered = threading.Event()  # set by a +CREG URC to cut a registration wait short
        self._never = threading.Event()  # a pause that no URC can cut short
        self._pin_rejected = False
        self._concat_reference = secrets.randbelow(256)

    # -- lifecycle -------------------------------------------------------------------------

    def open(self) -> ModemInfo:
        """See ``Modem.open``. Closes first if already open."""
        with self._lifecycle:
            self._close_locked(announce=False)
            port = self._port_factory(self._settings)
            transport = Transport(
                port, name=self.modem_id, on_urc=self._urc_from_reader, on_gone=self._gone_from_reader
            )
            self._work = queue.Queue()
            self._event_thread = threading.Thread(
                target=self._event_loop, args=(self._work,), name=f"modem-events-{self.modem_id}", daemon=True
            )
            self._event_thread.start()
            self._transport = transport
            transport.start()
            try:
                self._info = self._initialise(transport)
            except ModemError:
                self._close_locked(announce=False)
                raise
            self._work.put(ModemStateChanged(self.modem_id, ModemState.OPEN, self._settings.device))
            self._work.put(_SWEEP)  # messages and reports that arrived while we were down
            return self._info

    def close(self) -> None:
        """See ``Modem.close``. Idempotent; safe to call from the ``on_event`` callback."""
        with self._lifecycle:
            self._close_locked(announce=True)

    def _close_locked(self, *, announce: bool) -> None:
        transport, self._transport = self._transport, None
        if transport is None:
            return
        transport.close()
        if announce:
            self._work.put(ModemStateChanged(self.modem_id, ModemState.CLOSED))
        self._work.put(_STOP)
        thread, self._event_thread = self._event_thread, None
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=5.0)

    def _require(self) -> Transport:
        transport = self._transport
        if transport is None or not transport.alive:
            raise ModemGone(f"{self.modem_id}: not open")
        return transport

    # -- operations ------------------------------------------------------------------------

    def submit(
        self,
        number: str,
        text: str,
        *,
        policy: TextPolicy = "exact",
        status_report: bool = True,
        resume: Resume | None = None,
    ) -> SubmitResult:
        """See ``Modem.submit``."""
        info = analyse(text, policy)
        if resume is None:
            self._concat_reference = (self._concat_reference + 1) % 256
        concat_reference = self._concat_reference if resume is None else resume.concat_reference
        pdus = encode_submit(
            number,
            info.text,
            concat_reference=concat_reference,
            smsc=self._settings.smsc,
            status_report=status_report and self._settings.status_reports,
        )
        transport = self._require()
        references: list[int] = [] if resume is None else list(resume.references)
        for pdu in pdus[len(references) :]:
            try:
                lines = transport.submit_pdu(
                    f"AT+CMGS={pdu.tpdu_length}",
                    pdu.hex,
                    prompt_timeout=self._settings.command_timeout,
                    answer_timeout=self._settings.submit_timeout,
                )
            except ModemError as exc:
                error = _submit_error(exc)
                if references:
                    raise partial_submit(
                        error, references_sent=tuple(references), segments=len(pdus), concat_reference=concat_reference
                    ) from exc
                if error is exc:
                    raise
                raise error from exc
            reference = replies.cmgs_reference(lines)
            # OK without +CMGS: the message left but its reference is unknown (-1, never matched).
            references.append(-1 if reference is None else reference)
        return SubmitResult(tuple(references), len(pdus), info.encoding)

    def set_batch_mode(self, on: bool) -> None:
        """See ``Modem.set_batch_mode``."""
        try:
            self._require().command(f"AT+CMMS={1 if on else 0}", self._settings.command_timeout)
        except CommandFailed as exc:
            log.info("%s: AT+CMMS not supported (%s); batches run without it", self.modem_id, exc)

    def health(self) -> ModemInfo:
        """See ``Modem.health``. Raises ``PinRequired`` (retryable) when the SIM asks for its PIN again."""
        transport = self._require()
        timeout = self._settings.command_timeout
        try:
            rssi = replies.csq_rssi(transport.command("AT+CSQ", timeout))
            registered = replies.is_registered(replies.creg_query(transport.command("AT+CREG?", timeout)))
        except CommandFailed:
            self._check_sim(transport)  # a modem reset leaves the SIM locked: say so, not "ERROR"
            raise
        if not registered:
            self._check_sim(transport)
        base = self._info or ModemInfo(self.modem_id, "", "", "", "", "", None, None, False)
        self._info = dataclasses.replace(base, signal_rssi=rssi, registered=registered)
        # Also a chance for what stayed on the SIM because handling it failed (e.g. the disk was full).
        self._work.put(_SWEEP)
        return self._info

    def _check_sim(self, transport: Transport) -> None:
        state = self._cpin(transport)
        if state not in ("READY", ""):
            raise PinRequired(f"{self.modem_id}: SIM asks for {state} (modem reset?)", retryable=True)

    # -- opening ---------------------------------------------------------------------------

    def _initialise(self, t: Transport) -> ModemInfo:
        timeout = self._settings.command_timeout
        self._sync(t)
        t.command("ATE0", timeout)
        self._optional(t, "AT+CMEE=1")
        self._unlock(t)
        info = ModemInfo(
            modem_id=self.modem_id,
            manufacturer=self._query(t, "AT+CGMI"),
            model=self._query(t, "AT+CGMM"),
            revision=self._query(t, "AT+CGMR"),
            imei=self._query(t, "AT+CGSN"),
            imsi=self._query(t, "AT+CIMI"),
            operator=None,
            signal_rssi=None,
            registered=False,
        )
        t.command("AT+CMGF=0", timeout)
        if self._settings.status_reports:
            # ds=1: status reports pushed as +CDS; some modems only store them (+CDSI, ds=2).
            try:
                t.command("AT+CNMI=2,1,0,1,0", timeout)
            except CommandFailed:
                t.command("AT+CNMI=2,1,0,2,0", timeout)
        else:
            t.command("AT+CNMI=2,1,0,0,0", timeout)
        self._optional(t, "AT+CREG=1")
        self._wait_registration(t)
        rssi = replies.csq_rssi(self._optional(t, "AT+CSQ"))
        operator = replies.cops_operator(self._optional(t, "AT+COPS?"))
        return dataclasses.replace(info, operator=operator, signal_rssi=rssi, registered=True)

    def _sync(self, t: Transport) -> None:
        # The first AT after a reset or with stale input may be eaten: try a few times, briefly. A modem
        # still at the "> " prompt of a process killed mid-submit takes every AT as PDU text: ESC gets it out
        # (what was typed is cancelled, nothing is sent).
        probe = min(self._settings.command_timeout, 2.0)
        for attempt in range(3):
            try:
                t.command("AT", probe)
                return
            except (ModemTimeout, CommandFailed):
                if attempt == 2:
                    raise
                if attempt == 0:  # a prompt answers ESC at once: a short wait keeps a hung modem's reopen short
                    t.escape(settle=min(probe, 0.5))

    def _optional(self, t: Transport, cmd: str) -> list[str]:
        try:
            return t.command(cmd, self._settings.command_timeout)
        except CommandFailed as exc:
            log.info("%s: %s", self.modem_id, exc)
            return []

    def _query(self, t: Transport, cmd: str) -> str:
        return replies.identity(self._optional(t, cmd))

    def _cpin(self, t: Transport) -> str:
        try:
            return replies.cpin_state(t.command("AT+CPIN?", self._settings.command_timeout))
        except CommandFailed as exc:
            if exc.kind == "CME" and exc.code in (_CME_SIM_NOT_INSERTED, _CME_SIM_FAILURE):
                raise SimFailure(f"{self.modem_id}: {exc}", code=exc.code) from exc
            if exc.kind == "CME" and exc.code == _CME_PIN:
                return "SIM PIN"
            if exc.kind == "CME" and exc.code == _CME_PUK:
                return "SIM PUK"
            if exc.kind == "CME" and exc.code == _CME_SIM_BUSY:
                return "BUSY"
            raise

    def _unlock(self, t: Transport) -> None:
        deadline = time.monotonic() + self._settings.registration_timeout
        state = self._cpin(t)
        if state == "SIM PIN":
            pin = self._settings.pin
            if pin is None or self._pin_rejected:
                # A PIN that was refused is never sent again: three tries lock the SIM (PUK).
                raise PinRequired(f"{self.modem_id}: SIM PIN required and no usable PIN configured")
            try:
                t.command(f'AT+CPIN="{pin}"', self._settings.command_timeout)
            except CommandFailed as exc:
                self._pin_rejected = exc.code == _CME_WRONG_PIN or exc.kind is None
                raise PinRequired(f"{self.modem_id}: PIN refused: {exc}", code=exc.code) from exc
            state = self._cpin(t)
        while state in ("BUSY", "SIM PIN") and time.monotonic() < deadline:
            self._never.wait(0.2)  # the SIM needs a moment after the PIN
            state = self._cpin(t)
        if state != "READY":
            raise PinRequired(f"{self.modem_id}: SIM state {state or 'unknown'!r}")

    def _wait_registration(self, t: Transport) -> None:
        deadline = time.monotonic() + self._settings.registration_timeout
        while True:
            self._registered.clear()
            status = replies.creg_query(t.command("AT+CREG?", self._settings.command_timeout))
            if replies.is_registered(status):
                return
            if status == _CREG_DENIED:
                raise NotRegistered(f"{self.modem_id}: registration denied")
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise NotRegistered(f"{self.modem_id}: not registered (CREG status {status})")
            # A +CREG URC wakes us early; otherwise poll again.
            self._registered.wait(min(1.0, remaining))

    def _sweep_storage(self) -> None:
        """Turn messages and reports left in storage into events, each deleted only once handled.

        Runs on the event thread, so ``on_event`` has returned (the gateway has committed) before the AT+CMGD:
        a crash or a failure in between leaves the message on the SIM for the next sweep, never lost.
        """
        t = self._transport
        if t is None or not t.alive:
            return
        try:
            entries = replies.cmgl_entries(t.command("AT+CMGL=4", self._settings.command_timeout))
        except ModemError as exc:
            log.warning("%s: cannot list stored messages: %s", self.modem_id, exc)
            return
        for index, pdu in entries:
            self._emit_pdu(pdu)  # raises when handling failed: the rest stays stored too, for the next sweep
            self._delete(t, index)

    # -- events ----------------------------------------------------------------------------

    def _urc_from_reader(self, urc: Urc) -> None:
        if urc.name == "+CREG":
            status = replies.creg_status(urc.lines[0], unsolicited=True)
            if replies.is_registered(status):
                self._registered.set()
        self._work.put(urc)

    def _gone_from_reader(self, gone: ModemGone) -> None:
        self._work.put(ModemStateChanged(self.modem_id, ModemState.GONE, str(gone)))

    def _event_loop(self, work: queue.Queue[object]) -> None:
        while True:
            item = work.get()
            if item is _STOP:
                return
            try:
                if item is _SWEEP:
                    self._sweep_storage()
                elif isinstance(item, Urc):
                    self._handle_urc(item)
                else:
                    self._on_event(item)  # type: ignore[arg-type]
            except Exception:
                log.exception("%s: event handling failed for %r", self.modem_id, item)

    def _handle_urc(self, urc: Urc) -> None:
        name, lines = urc.name, urc.lines
        if name in ("+CMT", "+CDS"):
            if len(lines) > 1:
                self._emit_pdu(lines[1])
        elif name in ("+CMTI", "+CDSI"):
            index = replies.storage_index(lines[0])
            transport = self._transport
            if index is not None and transport is not None:
                self._read_and_delete(transport, index)
        elif name == "+CMGS":
            reference = replies.cmgs_reference(list(lines))
            if reference is not None:
                self._on_event(LateSubmitResult(self.modem_id, reference))
        elif name == "+CREG":
            registered = replies.is_registered(replies.creg_status(lines[0], unsolicited=True))
            state = ModemState.REGISTERED if registered else ModemState.NOT_REGISTERED
            self._on_event(ModemStateChanged(self.modem_id, state, lines[0]))
        else:
            log.debug("%s: ignored URC %r", self.modem_id, lines)

    def _read_and_delete(self, t: Transport, index: int) -> None:
        try:
            pdu = replies.cmgr_pdu(t.command(f"AT+CMGR={index}", self._settings.command_timeout))
        except ModemError as exc:
            log.warning("%s: cannot read stored message %d: %s", self.modem_id, index, exc)
            return
        if pdu is not None:
            self._emit_pdu(pdu)
        self._delete(t, index)

    def _delete(self, t: Transport, index: int) -> None:
        try:
            t.command(f"AT+CMGD={index}", self._settings.command_timeout)
        except ModemError as exc:
            log.warning("%s: cannot delete stored message %d: %s", self.modem_id, index, exc)

    def _emit_pdu(self, pdu: str) -> None:
        try:
            event = decode_received(pdu, self.modem_id)
        except ModemError as exc:
            log.warning("%s: dropped a received PDU: %s", self.modem_id, exc)
            return
        if threading.current_thread() is self._event_thread:
            self._on_event(event)
        else:
            self._work.put(event)


def _submit_error(exc: ModemError) -> ModemError:
    """Map the transport's error for AT+CMGS to the submit vocabulary."""
    if isinstance(exc, CommandFailed) and exc.kind in ("CMS", None):
        return SubmitRejected(f"submit rejected: {exc.final}", code=exc.code)
    return exc


def _conforms_to_the_interface(modem: AtModem) -> Modem:
    # Never called: makes mypy check that AtModem implements the Modem protocol.
    return modem
