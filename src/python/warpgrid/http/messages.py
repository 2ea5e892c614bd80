"""The request and response a guest's http-handler export receives and returns.

Plain data with their WIT record conversions; the server, the dispatcher and the guest all
use them, and they import nothing else from the host.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any


@dataclass
class HttpRequest:
    method: str
    uri: str
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""

    def to_wit(self) -> SimpleNamespace:
        return SimpleNamespace(method=self.method, uri=self.uri, headers=list(self.headers), body=bytes(self.body))


@dataclass
class HttpResponse:
    status: int
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""

    @classmethod
    def from_wit(cls, record: Any) -> "HttpResponse":
        return cls(record.status, [tuple(h) for h in record.headers], bytes(record.body))
