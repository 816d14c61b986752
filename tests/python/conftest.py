"""Shared fixtures: the moat binary and a plugin directory with the math plugin.

The test command (see the README) builds both and passes their paths in
MOAT_BIN and MOAT_MATH_WASM.
"""

import os
import shutil
from pathlib import Path

import pytest


@pytest.fixture
def anyio_backend():
    return "asyncio"


@pytest.fixture(scope="session")
def moat_bin() -> str:
    path = os.environ.get("MOAT_BIN")
    if not path or not Path(path).is_file():
        pytest.fail("set MOAT_BIN to the built moat binary (the README's test command does)")
    return path


@pytest.fixture
def plugin_dir(tmp_path: Path) -> Path:
    math = os.environ.get("MOAT_MATH_WASM")
    if not math or not Path(math).is_file():
        pytest.fail("set MOAT_MATH_WASM to the built math plugin (the README's test command does)")
    shutil.copy(math, tmp_path / "math.wasm")
    (tmp_path / "garbage.wasm").write_bytes(b"not a component")
    return tmp_path
