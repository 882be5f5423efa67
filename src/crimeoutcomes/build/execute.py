"""Run one notebook with papermill: in a kernel of its own, or in a kernel a batch of runs shares
(reset between runs). A failure names the notebook, the cell (counting as saved) and the error."""

from __future__ import annotations

import ast
import json
import os
import re
import sys
import tempfile
import time
import uuid
from pathlib import Path

from crimeoutcomes.errors import CrimeOutcomesError
from crimeoutcomes.locks import ADVICE, FolderNotWritable
from crimeoutcomes.notebook.parameters import assigned_names

KERNEL_NAME = "crimeoutcomes"
CELL_TIMEOUT_SECONDS = 1800

#: A cell tagged so is kept only for the default question, or only for any other question: prose
#: written for one question (community resolutions for sexual offences) and its general variant.
DEFAULT_QUESTION_TAG = "question:default"
OTHER_QUESTION_TAG = "question:other"


class NotebookFailed(CrimeOutcomesError):
    """A notebook raised: names it, the cell, the error, and where the executed copy was kept."""


def ensure_kernel() -> str:
    """A kernel named ``crimeoutcomes`` that runs this very Python, installed into its environment,
    started over IPC by any client where the provisioner is installed (``kernel_transport``)."""
    from ipykernel.kernelspec import install
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    provisioner = _provisioner_metadata()
    try:
        spec = KernelSpecManager().get_kernel_spec(KERNEL_NAME)
        if Path(spec.argv[0]).resolve() == Path(sys.executable).resolve() and _has(spec.metadata, provisioner):
            return KERNEL_NAME
    except NoSuchKernel:
        pass
    folder = Path(install(kernel_name=KERNEL_NAME, display_name="Python (crimeoutcomes)", prefix=sys.prefix))
    spec_file = folder / "kernel.json"
    spec = json.loads(spec_file.read_text(encoding="utf-8"))
    spec["metadata"] = {**spec.get("metadata", {}), **provisioner}
    spec_file.write_text(json.dumps(spec, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    return KERNEL_NAME


def _provisioner_metadata() -> dict:
    """kernel.json's metadata naming the IPC provisioner, where its entry point is installed (a
    kernel.json naming a provisioner jupyter_client cannot find is no kernel at all)."""
    from importlib.metadata import entry_points

    from crimeoutcomes.build.kernel_transport import PROVISIONER_NAME

    if not entry_points(group="jupyter_client.kernel_provisioners", name=PROVISIONER_NAME):
        return {}
    return {"kernel_provisioner": {"provisioner_name": PROVISIONER_NAME}}


def _has(metadata: dict, wanted: dict) -> bool:
    """Does the installed kernel name the wanted provisioner? (jupyter_client adds its ``config`` to
    what it reads, so only the name is compared: a spec read as different would be installed again
    by every parallel run, each removing the folder under the others.)"""
    name = wanted.get("kernel_provisioner", {}).get("provisioner_name")
    return name is None or metadata.get("kernel_provisioner", {}).get("provisioner_name") == name


def check_parameters(notebook: Path, parameters: dict) -> None:
    """Papermill only warns about parameters a notebook does not declare; here that is an error."""
    import papermill

    declared = set(papermill.inspect_notebook(str(notebook)))
    if not declared:
        raise CrimeOutcomesError(f"{notebook.name} has no cell tagged 'parameters'")
    unknown = sorted(set(parameters) - declared)
    if unknown:
        raise CrimeOutcomesError(
            f"{notebook.name} does not take the parameter(s) {', '.join(unknown)} "
            f"(it takes {', '.join(sorted(declared))})"
        )


def _quick_ready_client():
    """jupyter_client's blocking client, but its ``wait_for_ready`` stops draining IOPub at the first
    lull of 10 ms where jupyter_client waits for one of 0.2 s. Every run makes two clients (the reset
    between runs and papermill's own), so that wait was 0.4 s of sleep a force page, as long as the
    rest of an empty page. What the drain skips is harmless: papermill (nbclient) and
    ``execute_interactive`` read only the messages that answer their own requests."""
    from queue import Empty

    from jupyter_client.blocking.client import BlockingKernelClient

    class QuickReadyClient(BlockingKernelClient):
        def wait_for_ready(self, timeout: float | None = None) -> None:
            # As jupyter_client's own: a kernel_info reply on the shell channel and a message on IOPub.
            deadline = time.monotonic() + (float("inf") if timeout is None else timeout)
            while True:
                self.kernel_info()
                try:
                    reply = self.shell_channel.get_msg(timeout=1)
                    if reply["msg_type"] == "kernel_info_reply":
                        self.iopub_channel.get_msg(timeout=0.2)
                        self._handle_kernel_info_reply(reply)
                        break
                except Empty:
                    pass
                if not self.is_alive():
                    raise RuntimeError("Kernel died before replying to kernel_info")
                if time.monotonic() > deadline:
                    raise RuntimeError(f"Kernel didn't respond in {timeout} seconds")
            while True:
                try:
                    self.iopub_channel.get_msg(timeout=0.01)
                except Empty:
                    break

    return QuickReadyClient


def _local_kernel_manager():
    """A kernel manager that talks to its kernel over local IPC sockets rather than plain-text TCP,
    each under a name of its own (jupyter_client's default name would be shared by parallel kernels),
    with clients that are ready as soon as the kernel answers (``_quick_ready_client``)."""
    from jupyter_client.manager import KernelManager
    from traitlets import CaselessStrEnum, Float, default

    class LocalKernelManager(KernelManager):
        transport = CaselessStrEnum(["tcp", "ipc"], default_value="ipc" if os.name == "posix" else "tcp")
        # Room for a busy machine to end a kernel politely before it is interrupted (which it logs).
        shutdown_wait_time = Float(30.0)

        @default("client_factory")
        def _quick_client(self):
            return _quick_ready_client()

        @default("ip")
        def _unique_ip(self):
            if self.transport != "ipc":
                return "127.0.0.1"
            return os.path.join(tempfile.gettempdir(), f"crimeoutcomes-kernel-{uuid.uuid4().hex}-ipc")

    return LocalKernelManager


def execute(notebook: Path, output: Path, parameters: dict, cwd: Path, progress: bool, kernel=None) -> None:
    """Run ``notebook`` with papermill into ``output``; ``kernel``: a started kernel manager to run it
    in (left running), else a kernel of its own."""
    import papermill
    from papermill.exceptions import PapermillExecutionError

    check_parameters(notebook, parameters)
    prepared, kept = for_question(notebook, default="offences" not in parameters)  # run_all passes it only then
    try:
        papermill.execute_notebook(
            str(notebook) if prepared is None else prepared,
            str(output),
            parameters=parameters,
            kernel_name=ensure_kernel(),
            cwd=str(cwd),
            progress_bar=progress,
            request_save_on_cell_execute=False,
            execution_timeout=CELL_TIMEOUT_SECONDS,
            kernel_manager_class=_local_kernel_manager(),
            **({} if kernel is None else {"km": kernel}),
        )
    except PapermillExecutionError as exc:
        # Papermill counts from 0 and includes the cell it injected after the parameters cell; the
        # cells another question's variant left out count too, as saved.
        parameters_at = _parameters_cell_index(notebook)  # never tagged for a question: always kept
        parameters_at = parameters_at if kept is None else kept.index(parameters_at)
        run = exc.cell_index + (0 if exc.cell_index <= parameters_at else -1)
        position = (run if kept is None else kept[run]) + 1
        code = re.search(r"\[Errno (\d+)\]", exc.evalue or "")
        if code and int(code.group(1)) in ADVICE:  # the notebook could not save a figure: say so plainly
            raise FolderNotWritable(
                f"notebook {notebook.name} could not write its output: {ADVICE[int(code.group(1))]} ({exc.evalue})"
            ) from None
        first_line = next((line for line in (exc.source or "").splitlines() if line.strip()), "")
        raise NotebookFailed(
            f"notebook {notebook.name} failed in cell {position} (counting from 1, as saved; "
            f"it begins {first_line.strip()[:80]!r}): {exc.ename}: {exc.evalue}"
        ) from None
    if prepared is not None:  # papermill records a notebook given as such whole: name its file instead
        _record_input_path(output, notebook)


def for_question(notebook: Path, default: bool):
    """The notebook as run for the default question or another: the cells tagged for the other
    left out, and the question tags taken off those kept (so that the default's executed notebook
    and page are the same bytes as before the tags). Returns the notebook and, for each cell kept,
    its position as saved; (None, None) where no cell is tagged, so the file runs as it is."""
    import nbformat

    saved = nbformat.read(notebook, as_version=4)
    question_tags = {DEFAULT_QUESTION_TAG, OTHER_QUESTION_TAG}
    if not any(question_tags & set(cell.metadata.get("tags", [])) for cell in saved.cells):
        return None, None
    unwanted = OTHER_QUESTION_TAG if default else DEFAULT_QUESTION_TAG
    kept = [i for i, cell in enumerate(saved.cells) if unwanted not in cell.metadata.get("tags", [])]
    cells = [saved.cells[i] for i in kept]
    for cell in cells:
        tags = [tag for tag in cell.metadata.get("tags", []) if tag not in question_tags]
        if tags:
            cell.metadata["tags"] = tags
        else:
            cell.metadata.pop("tags", None)
    saved.cells = cells
    return saved, kept


def _record_input_path(output: Path, notebook: Path) -> None:
    import nbformat

    executed = nbformat.read(output, as_version=4)
    executed.metadata["papermill"]["input_path"] = str(notebook)
    nbformat.write(executed, output)


def _parameters_cell_index(notebook: Path) -> int:
    import nbformat

    cells = nbformat.read(notebook, as_version=4).cells
    return next((i for i, c in enumerate(cells) if "parameters" in c.metadata.get("tags", [])), len(cells))


def declared_parameters(notebook: Path) -> list[str]:
    """The names the notebook's cell tagged 'parameters' assigns (read as JSON: papermill is slow to import)."""
    cells = json.loads(notebook.read_text(encoding="utf-8")).get("cells", [])
    for cell in cells:
        if cell.get("cell_type") == "code" and "parameters" in cell.get("metadata", {}).get("tags", []):
            source = "".join(cell.get("source", ""))
            try:
                ast.parse(source)
            except SyntaxError as exc:
                raise CrimeOutcomesError(f"{notebook.name}: its parameters cell is not valid Python ({exc})") from None
            return assigned_names(source)
    return []


#: A fresh namespace for the next run: what one run defined cannot leak into the next, and the
#: cells count from 1 again (the executed notebook is the same as from a kernel of its own). What
#: the reset leaves alive (modules, the loaded years, caches) is then frozen out of the garbage
#: collector's sweeps, which went over it all again at every reset (0.12 s a page) and during every
#: run. The sweep before the freeze is needed: IPython's reset sweeps before it clears the
#: namespace, so the last run's cycles (every figure) would otherwise be frozen alive for good.
_FRESH_NAMESPACE = (
    "__import__('matplotlib.pyplot').pyplot.close('all')\n"
    "get_ipython().reset(new_session=True)\n"
    "__import__('gc').collect()\n"
    "__import__('gc').freeze()"
)


def shared_kernel(cwd: Path):
    """A started kernel for a batch of runs (the caller shuts it down)."""
    manager = _local_kernel_manager()(kernel_name=ensure_kernel())
    manager.start_kernel(cwd=str(cwd))
    return manager


def fresh_namespace(manager) -> None:
    client = manager.client()
    client.start_channels()
    try:
        client.wait_for_ready(timeout=CELL_TIMEOUT_SECONDS)
        reply = client.execute_interactive(_FRESH_NAMESPACE, store_history=False, timeout=CELL_TIMEOUT_SECONDS)
        if reply["content"]["status"] != "ok":
            raise CrimeOutcomesError(f"the kernel could not be reset between runs: {reply['content']}")
    finally:
        client.stop_channels()
