"""The warp.toml ``[http_client]`` section: which services of the deployment a guest may call.

Example::

    [http_client]
    allow = ["users.t6.warp.local", "*.metrics.warp.local"]   # fnmatch patterns
    max_depth = 8                                              # nested calls per request

Nothing is allowed by default: a service reaches another only when its own config names it,
so adding a service to a deployment never widens what the existing ones can call.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator

REGISTRY_SUFFIX = ".warp.local"


class HttpClientConfig(BaseModel):
    """Outgoing service-to-service HTTP: the allow-list and the nesting bound."""

    model_config = ConfigDict(extra="forbid", validate_default=True)

    allow: list[str] = Field(default_factory=list)
    # A chain of calls deeper than this (a service calling itself through others) fails with
    # `loop` instead of running until every deadline in the chain expires.
    max_depth: int = Field(default=8, ge=1, le=64)

    @field_validator("allow")
    @classmethod
    def _registry_patterns(cls, value: list[str]) -> list[str]:
        for pattern in value:
            if not pattern.lower().endswith(REGISTRY_SUFFIX):
                raise ValueError(
                    f"allow pattern {pattern!r} must name deployment services "
                    f"('<name>.<namespace>{REGISTRY_SUFFIX}', '*' allowed in a label)"
                )
        return [p.lower() for p in value]
