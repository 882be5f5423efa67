"""The ``crimeoutcomes`` kernel talks to whoever starts it over local IPC sockets, not plain-text TCP.

jupyter_client starts kernels on TCP by default, and ipykernel (7.x) then logs "Kernel is running
over TCP without encryption" on every start: a direct papermill run, nbconvert, JupyterLab. run_all
already asks for IPC (``execute._local_kernel_manager``); this provisioner, named in the kernel's
kernel.json (``execute.ensure_kernel``), does the same for any client that starts the kernel, so the
warning does not arise (rather than being hidden). Other platforms than POSIX keep TCP (no IPC there).
"""

from __future__ import annotations

import os
import tempfile
import uuid
from typing import Any

from jupyter_client.provisioning import LocalProvisioner

#: The entry point name (pyproject.toml, group ``jupyter_client.kernel_provisioners``).
PROVISIONER_NAME = "crimeoutcomes-ipc-provisioner"


def ipc_path() -> str:
    """A socket path of its own for each kernel (jupyter_client numbers the channels after it), short
    enough for the 108-byte limit of a Unix socket path."""
    return os.path.join(tempfile.gettempdir(), f"crimeoutcomes-kernel-{uuid.uuid4().hex}-ipc")


class LocalIPCProvisioner(LocalProvisioner):
    """jupyter_client's local provisioner, with the manager switched to IPC before the connection
    file is written (its ports are then numbers after the socket path, not TCP ports)."""

    async def pre_launch(self, **kwargs: Any) -> dict[str, Any]:
        manager = self.parent
        if manager is not None and os.name == "posix" and manager.transport == "tcp":
            manager.cache_ports = False  # cached ports are TCP ports on an address
            manager.transport = "ipc"
            manager.ip = ipc_path()
        return await super().pre_launch(**kwargs)
