"""The HTTP trigger: serves a component's http-handler export on a loopback address."""

from warpgrid.http.dispatch import RequestDispatcher
from warpgrid.http.server import HttpTrigger, ListenError, serve

__all__ = ["HttpTrigger", "ListenError", "RequestDispatcher", "serve"]
