"""Shared pieces of the Python package tests (run by ctest; tests/CMakeLists.txt sets the
environment: PYTHONPATH=<build>/python, CONVSIM_BINARY, CONVSIM_SOURCE_DIR)."""

import os
import subprocess

import h5py
import numpy as np
import pytest

SOURCE = os.environ.get("CONVSIM_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", ".."))
BINARY = os.environ.get("CONVSIM_BINARY", os.path.join(SOURCE, "build", "cli", "convsim"))
SCENARIOS = os.path.join(SOURCE, "scenarios")
# A small economy, so that a run takes a fraction of a second.
SMALL = {"economy.firms": 2000}


def scenario_path(name):
    return os.path.join(SCENARIOS, name)


def cli(*args, check=True):
    """Runs the convsim executable; returns the CompletedProcess (text mode)."""
    done = subprocess.run([BINARY, *map(str, args)], capture_output=True, text=True)
    if check and done.returncode != 0:
        raise AssertionError(f"convsim {' '.join(map(str, args))} ended with {done.returncode}:\n{done.stderr}")
    return done


def same_bits(a, b):
    """True when two arrays have the same shape, dtype and bytes (NaN equal to the same NaN)."""
    a, b = np.ascontiguousarray(a), np.ascontiguousarray(b)
    if a.shape != b.shape:
        return False
    if a.dtype.kind == "f" or b.dtype.kind == "f":
        return a.dtype == b.dtype and np.array_equal(a.view(np.uint8), b.view(np.uint8))
    return np.array_equal(a, b)


def text(value):
    return value.decode("utf-8") if isinstance(value, bytes) else value


@pytest.fixture(scope="session")
def h5():
    return h5py
