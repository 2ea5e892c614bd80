"""Several services as one runnable unit (`warpgrid deploy deployment.toml`): see manifest.py
for the file, runtime.py for how services are started, routed and signalled."""

from warpgrid.deployment.manifest import DeploymentManifest, ServiceSpec, load_manifest
from warpgrid.deployment.runtime import Deployment, Router, serve

__all__ = ["Deployment", "DeploymentManifest", "Router", "ServiceSpec", "load_manifest", "serve"]
