"""Every notebook in notebooks/ (jupytext percent .py files) runs from top to bottom.

The notebooks are executed in a Jupyter kernel of this very Python (the ``python3`` kernel
spec, whose ``python`` command jupyter_client resolves to ``sys.executable``; one is
installed into the environment if it has none). A cell that raises fails the test with the
notebook's traceback.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest

jupytext = pytest.importorskip("jupytext")
nbclient = pytest.importorskip("nbclient")

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.py"))
KERNEL = "python3"

pytestmark = [
    pytest.mark.slow,
    # jupyter internals (not nexusmodel) warn about their own deprecations and event loops
    pytest.mark.filterwarnings("ignore::DeprecationWarning:jupyter_core.*"),
    pytest.mark.filterwarnings("ignore::DeprecationWarning:jupyter_client.*"),
    pytest.mark.filterwarnings("ignore::DeprecationWarning:nbclient.*"),
    pytest.mark.filterwarnings("ignore::DeprecationWarning:traitlets.*"),
    pytest.mark.filterwarnings("ignore::DeprecationWarning:zmq.*"),
    pytest.mark.filterwarnings("ignore::RuntimeWarning:zmq.*"),
    pytest.mark.filterwarnings("ignore:.*Jupyter is migrating its paths.*:DeprecationWarning"),
]


@pytest.fixture(scope="module")
def kernel_name() -> str:
    """The ``python3`` kernel spec, installed into this environment if it is missing."""
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    try:
        KernelSpecManager().get_kernel_spec(KERNEL)
    except NoSuchKernel:
        from ipykernel.kernelspec import install

        install(prefix=sys.prefix)  # same as: python -m ipykernel install --sys-prefix
    spec = KernelSpecManager().get_kernel_spec(KERNEL)
    assert spec.argv[0] in ("python", "python3", sys.executable), spec.argv
    return KERNEL


def test_there_are_notebooks() -> None:
    names = [p.name for p in NOTEBOOKS]
    assert {"01_baseline.py", "02_scenarios.py", "03_calibration.py"} <= set(names)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs(path: Path, kernel_name: str) -> None:
    notebook = jupytext.read(path)
    first = notebook.cells[0]
    assert first.cell_type == "markdown" and first.source.lstrip().startswith("#"), (
        f"{path.name} must open with a markdown cell saying what it shows"
    )
    client = nbclient.NotebookClient(
        notebook,
        timeout=600,
        kernel_name=kernel_name,
        resources={"metadata": {"path": str(path.parent)}},
    )
    start = time.perf_counter()
    client.execute()
    seconds = time.perf_counter() - start
    errors = [
        output
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.get("outputs", [])
        if output.get("output_type") == "error"
    ]
    assert not errors
    print(f"{path.name}: {seconds:.1f} s")
