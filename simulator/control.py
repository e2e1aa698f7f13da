"""The control interface: HTTP/JSON on loopback (stdlib ThreadingHTTPServer).

GET    /modems                       every modem's state
GET    /modems/<id>                  one modem (<id>: name or index)
POST   /modems/<id>/faults           {"kind": "cms_error", "code": 42, "count": 1}  (see faults.py)
DELETE /modems/<id>/faults[/<kind>]  clear all faults, or those of one kind
POST   /modems/<id>/incoming         {"sender": "+33639980002", "text": "STOP"}
POST   /modems/<id>/network          {"report_outcome": "expired", "report": 0.5, "submit": 0}
POST   /modems/<id>/unplug | /replug
GET    /handsets[?number=+33...]     messages received by handsets
GET    /handsets/pending             concatenated messages still missing segments
GET    /submits                      every submit (accepted or refused), as in the JSONL log
GET    /events                       submits, status reports and incoming SMS
POST   /reset                        back to a clean state
"""

from __future__ import annotations

import json
import logging
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

from simulator import jsontext
from simulator.config import OUTCOMES
from simulator.errors import SimulatorError
from simulator.faults import FaultError
from simulator.pdu import PduError

if TYPE_CHECKING:
    from simulator.app import Simulator

log = logging.getLogger(__name__)

MAX_BODY = 1 << 20
_NETWORK_FIELDS = {"submit", "jitter", "cmms", "cmms_window", "report", "report_outcome"}


class BadRequestError(SimulatorError):
    """A request the control interface refuses with 400."""


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("control: " + format, *args)

    def _reply(self, status: int, payload: Any) -> None:
        body = jsontext.dumps(payload).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _body(self) -> dict[str, Any]:
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            raise BadRequestError("body too large")
        raw = self.rfile.read(length) if length else b""
        if not raw:
            return {}
        try:
            data = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise BadRequestError(f"invalid JSON: {exc}") from exc
        if not isinstance(data, dict):
            raise BadRequestError("JSON object expected")
        return data

    def _dispatch(self, method: str) -> None:
        url = urlsplit(self.path)
        parts = [p for p in url.path.split("/") if p]
        query = parse_qs(url.query)
        sim = self.server.simulator
        try:
            payload = route(sim, method, parts, query, self._body() if method in ("POST", "PUT") else {})
        except BadRequestError as exc:
            self._reply(HTTPStatus.BAD_REQUEST, {"error": str(exc)})
        except (FaultError, PduError, ValueError, TypeError) as exc:
            self._reply(HTTPStatus.BAD_REQUEST, {"error": str(exc)})
        except LookupError as exc:
            self._reply(HTTPStatus.NOT_FOUND, {"error": str(exc)})
        except SimulatorError as exc:
            self._reply(HTTPStatus.NOT_FOUND, {"error": str(exc)})
        else:
            self._reply(HTTPStatus.OK, payload)

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")


def _fault(sim: Simulator, key: str, body: dict[str, Any]) -> Any:
    body = dict(body)
    kind = body.pop("kind", None)
    if not isinstance(kind, str):
        raise BadRequestError('"kind" is required')
    count = body.pop("count", None)
    if count is not None and not isinstance(count, int):
        raise BadRequestError('"count" must be an integer')
    sim.inject_fault(key, kind, body, count)
    return sim.modem(key).status() if kind != "unplug" else {"unplugged": key}


def _network(sim: Simulator, key: str, body: dict[str, Any]) -> Any:
    unknown = set(body) - _NETWORK_FIELDS
    if unknown:
        raise BadRequestError(f"unknown fields {sorted(unknown)}; known: {sorted(_NETWORK_FIELDS)}")
    if "report_outcome" in body and body["report_outcome"] not in OUTCOMES:
        raise BadRequestError(f"report_outcome must be one of {OUTCOMES}")
    for name, value in body.items():
        if name != "report_outcome" and (not isinstance(value, int | float) or value < 0):
            raise BadRequestError(f"{name} must be a number >= 0")
    sim.set_network(key, **body)
    return sim.modem(key).status()


def route(  # noqa: PLR0911, PLR0912 - a flat routing table reads best
    sim: Simulator, method: str, parts: list[str], query: dict[str, list[str]], body: dict[str, Any]
) -> Any:
    """Map one request to a simulator operation; raises BadRequestError/LookupError/SimulatorError."""
    if method == "GET" and parts == ["modems"]:
        return [h.status() for h in sim.modems]
    if method == "GET" and parts == ["handsets"]:
        number = query.get("number", [None])[0]
        return [m.to_json() for m in sim.handsets.received(number)]
    if method == "GET" and parts == ["handsets", "pending"]:
        return sim.handsets.pending()
    if method == "GET" and parts == ["submits"]:
        return sim.events.records("submit")
    if method == "GET" and parts == ["events"]:
        return sim.events.records(query.get("event", [None])[0])
    if method == "POST" and parts == ["reset"]:
        sim.reset()
        return {"reset": True}
    if len(parts) >= 2 and parts[0] == "modems":
        key = parts[1]
        handle = sim.modem(key)
        rest = parts[2:]
        if method == "GET" and not rest:
            return handle.status()
        if method == "POST" and rest == ["faults"]:
            return _fault(sim, key, body)
        if method == "DELETE" and rest[:1] == ["faults"] and len(rest) <= 2:
            sim.clear_faults(key, rest[1] if len(rest) == 2 else None)
            return handle.status()
        if method == "POST" and rest == ["incoming"]:
            sender, text, reverse = body.get("sender"), body.get("text"), body.get("reverse", False)
            if not isinstance(sender, str) or not isinstance(text, str) or not isinstance(reverse, bool):
                raise BadRequestError('"sender" and "text" strings are required ("reverse": true or false)')
            return {"index": sim.incoming(key, sender, text, reverse=reverse)}
        if method == "POST" and rest == ["network"]:
            return _network(sim, key, body)
        if method == "POST" and rest == ["unplug"]:
            sim.unplug(key)
            return handle.status()
        if method == "POST" and rest == ["replug"]:
            sim.replug(key)
            return handle.status()
    raise LookupError(f"no route {method} /{'/'.join(parts)}")


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    simulator: Simulator


class ControlServer:
    """Serves the control interface from its own thread."""

    def __init__(self, simulator: Simulator, host: str, port: int) -> None:
        self._server = _Server((host, port), _Handler)
        self._server.simulator = simulator
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="sim-control", daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
