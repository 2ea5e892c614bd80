"""WarpGrid shim host: runs WebAssembly components on wasmtime-py with the host services real
programs expect (virtual /etc and /proc files, DNS, signals, database proxy, threading model)."""

from warpgrid.config import ConfigError, WarpConfig, load_config, parse_config
from warpgrid.engine import WarpGridEngine
from warpgrid.faults import GuestFault, InstantiationError, ShimNotEnabledError
from warpgrid.guest import GuestInstance
from warpgrid.http.messages import HttpRequest, HttpResponse
from warpgrid.loaded import LoadedComponent

__all__ = [
    "ConfigError",
    "GuestFault",
    "GuestInstance",
    "HttpRequest",
    "HttpResponse",
    "InstantiationError",
    "LoadedComponent",
    "ShimNotEnabledError",
    "WarpConfig",
    "WarpGridEngine",
    "load_config",
    "parse_config",
]
