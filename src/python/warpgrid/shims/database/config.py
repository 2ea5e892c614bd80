"""The warp.toml ``[database]`` section: which database endpoints guests may reach.

Example::

    [database]
    pool_size = 10              # defaults for every endpoint below
    idle_timeout = 60

    [database.endpoints.orders]
    protocol = "postgres"
    host = "db.internal"
    port = 5432
    database = "orders"
    user = "orders_app"
    password_env = "ORDERS_DB_PASSWORD"     # or password_file = "/run/secrets/orders"
    tls = true
    tls_ca_file = "/etc/ssl/db-ca.pem"

A guest's ``connect`` must name an endpoint listed here (protocol, host, port and,
if given, database); the user and password are the host's, never the guest's.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

Protocol = Literal["postgres", "mysql", "redis"]


class SecretError(Exception):
    """A configured password cannot be read (names the endpoint, the source and the fix)."""


class EndpointConfig(BaseModel):
    """One database a guest may reach, with the host-held credentials for it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    protocol: Protocol
    host: str = Field(min_length=1)
    port: int = Field(ge=1, le=65535)
    # Postgres/MySQL database name; for Redis the logical db number as a string ("0".."15").
    database: str | None = None
    user: str | None = None
    password_env: str | None = None
    password_file: Path | None = None
    # None: take the [database] default.
    pool_size: int | None = Field(default=None, ge=1, le=1000)
    idle_timeout: float | None = Field(default=None, gt=0)
    checkout_timeout: float | None = Field(default=None, gt=0)
    tls: bool = False
    tls_ca_file: Path | None = None
    tls_verify: bool = True
    # Redis only: server-side scripts and functions (EVAL, EVALSHA, FCALL, SCRIPT, FUNCTION...)
    # run with the connection's full rights, including SELECT of another db, so they are
    # refused unless this is true.
    allow_scripts: bool = False

    @model_validator(mode="after")
    def _check(self) -> "EndpointConfig":
        if self.password_env and self.password_file:
            raise ValueError("set only one of password_env and password_file")
        if self.protocol in ("postgres", "mysql") and not self.user:
            raise ValueError(f"a {self.protocol} endpoint needs `user` (the host-side login)")
        if self.protocol == "postgres" and not self.database:
            raise ValueError("a postgres endpoint needs `database`")
        if self.protocol == "redis" and self.database is not None and not self.database.isdigit():
            raise ValueError(f"redis `database` is a db number such as \"0\", got {self.database!r}")
        if self.allow_scripts and self.protocol != "redis":
            raise ValueError("allow_scripts is a redis endpoint option")
        if self.tls_ca_file is not None and not self.tls:
            raise ValueError("tls_ca_file is set but tls = false; set tls = true or drop tls_ca_file")
        return self

    def password(self, name: str = "?") -> str | None:
        """Read the password now (so a rotated secret is picked up by the next new connection)."""
        if self.password_env:
            value = os.environ.get(self.password_env)
            if value is None:
                raise SecretError(
                    f"[database.endpoints.{name}] password_env: environment variable "
                    f"{self.password_env} is not set on the host; export it or use password_file"
                )
            return value
        if self.password_file:
            try:
                return self.password_file.read_text().rstrip("\r\n")
            except OSError as exc:
                raise SecretError(
                    f"[database.endpoints.{name}] password_file: cannot read "
                    f"{self.password_file}: {exc.strerror}"
                ) from exc
        return None


class DatabaseConfig(BaseModel):
    """The ``[database]`` section: defaults plus the allow-list of endpoints."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    pool_size: int = Field(default=10, ge=1, le=1000)
    idle_timeout: float = Field(default=60.0, gt=0)
    checkout_timeout: float = Field(default=5.0, gt=0)
    connect_timeout: float = Field(default=10.0, gt=0)
    # How long a guest's recv waits for the database before returning `timeout`.
    recv_timeout: float = Field(default=30.0, gt=0)
    # An idle connection older than this gets a protocol ping on checkout, not only a socket check.
    health_check_after: float = Field(default=30.0, ge=0)
    endpoints: dict[str, EndpointConfig] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _unique_targets(self) -> "DatabaseConfig":
        seen: dict[tuple, str] = {}
        for name, ep in self.endpoints.items():
            key = (ep.protocol, ep.host.lower(), ep.port, ep.database)
            if key in seen:
                raise ValueError(
                    f"endpoints {seen[key]!r} and {name!r} both target {ep.protocol}://"
                    f"{ep.host}:{ep.port}/{ep.database or ''}; a guest could not choose between "
                    "them (the user is host-side): keep one"
                )
            seen[key] = name
        return self

    def pool_size_for(self, ep: EndpointConfig) -> int:
        return ep.pool_size or self.pool_size

    def idle_timeout_for(self, ep: EndpointConfig) -> float:
        return ep.idle_timeout or self.idle_timeout

    def checkout_timeout_for(self, ep: EndpointConfig) -> float:
        return ep.checkout_timeout or self.checkout_timeout
