"""A small client of the control interface, for tests and scripts (stdlib only).

client = SimulatorClient("http://127.0.0.1:40123")
client.inject_fault("modem0", "cms_error", code=42, count=1)
client.handsets("+33639980001")
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from typing import Any, TypeVar

from simulator.errors import SimulatorError

T = TypeVar("T")


class ControlError(SimulatorError):
    """The control interface answered with an error status."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"{status}: {message}")
        self.status = status


class SimulatorClient:
    """Calls the simulator's HTTP control interface."""

    def __init__(self, base_url: str, timeout: float = 10.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout

    def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        data = json.dumps(body).encode("utf-8") if body is not None else None
        request = urllib.request.Request(self.base_url + path, data=data, method=method)  # noqa: S310
        if data is not None:
            request.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310 - loopback
                return json.loads(response.read() or b"null")
        except urllib.error.HTTPError as exc:
            detail = exc.read().decode("utf-8", "replace")
            raise ControlError(exc.code, detail) from exc

    def modems(self) -> list[dict[str, Any]]:
        return list(self._call("GET", "/modems"))

    def modem(self, modem: str | int) -> dict[str, Any]:
        return dict(self._call("GET", f"/modems/{modem}"))

    def inject_fault(self, modem: str | int, kind: str, count: int | None = None, **params: Any) -> dict[str, Any]:
        """Add a fault (cms_error, no_network, signal_drop, hang, slow, urc) or run an action
        (garbage, sim_pin, unplug, replug); ``count`` None = until cleared."""
        body: dict[str, Any] = {"kind": kind, **params}
        if count is not None:
            body["count"] = count
        return dict(self._call("POST", f"/modems/{modem}/faults", body))

    def clear_faults(self, modem: str | int, kind: str | None = None) -> dict[str, Any]:
        suffix = f"/{kind}" if kind else ""
        return dict(self._call("DELETE", f"/modems/{modem}/faults{suffix}"))

    def incoming(self, modem: str | int, sender: str, text: str, *, reverse: bool = False) -> int | None:
        """An SMS arrives on the modem's SIM (a long text as a concatenated SMS, last part first with
        ``reverse``); returns the storage index of its first part (None if shown with +CMT)."""
        body = {"sender": sender, "text": text, "reverse": reverse}
        result = self._call("POST", f"/modems/{modem}/incoming", body)
        index = result["index"]
        return None if index is None else int(index)

    def set_network(self, modem: str | int, **settings: Any) -> dict[str, Any]:
        """report_outcome ("delivered", "expired", "rejected"), report, submit, jitter, cmms (seconds)."""
        return dict(self._call("POST", f"/modems/{modem}/network", settings))

    def handsets(self, number: str | None = None) -> list[dict[str, Any]]:
        path = "/handsets" if number is None else "/handsets?number=" + urllib.parse.quote(number)
        return list(self._call("GET", path))

    def pending(self) -> list[dict[str, Any]]:
        return list(self._call("GET", "/handsets/pending"))

    def submits(self) -> list[dict[str, Any]]:
        return list(self._call("GET", "/submits"))

    def events(self, event: str | None = None) -> list[dict[str, Any]]:
        return list(self._call("GET", "/events" + (f"?event={event}" if event else "")))

    def reset(self) -> None:
        self._call("POST", "/reset")

    def unplug(self, modem: str | int) -> dict[str, Any]:
        return dict(self._call("POST", f"/modems/{modem}/unplug"))

    def replug(self, modem: str | int) -> dict[str, Any]:
        return dict(self._call("POST", f"/modems/{modem}/replug"))

    def wait_for(self, probe: Callable[[], T | None], timeout: float = 10.0, interval: float = 0.02) -> T:
        """Poll ``probe`` until it returns something truthy; TimeoutError otherwise."""
        deadline = time.monotonic() + timeout
        while True:
            value = probe()
            if value:
                return value
            if time.monotonic() > deadline:
                raise TimeoutError("condition not met in time")
            time.sleep(interval)
