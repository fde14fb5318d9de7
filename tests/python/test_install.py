"""cmake --install puts the convsim executable and the Python package where the shell and Debian's
Python find them: into a fresh prefix here, then imported from there by /usr/bin/python3 with
nothing of the build or source tree on its path."""

import os
import subprocess
import sys

import pytest

from conftest import SOURCE, scenario_path

BUILD = os.environ.get("CONVSIM_BUILD_DIR", os.path.join(SOURCE, "build"))
CMAKE = os.environ.get("CMAKE_COMMAND", "cmake")


@pytest.fixture(scope="module")
def prefix(tmp_path_factory):
    prefix = tmp_path_factory.mktemp("prefix")
    subprocess.run([CMAKE, "--install", BUILD, "--prefix", str(prefix)], check=True, capture_output=True)
    return prefix


def test_installed_package_runs_from_its_prefix(prefix, tmp_path):
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    packages = prefix / "lib" / version / "dist-packages"
    assert (packages / "convsim" / "__init__.py").is_file()
    assert (packages / "convsim" / "plots.py").is_file()
    script = ("import convsim, convsim.plots\n"
              f"ds = convsim.load_scenario({scenario_path('korea_baseline.yaml')!r}, set={{'economy.firms': 2000}})"
              ".run(progress=False)\n"
              "print(convsim.__file__)\nprint(ds.sizes['time'])\n")
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(packages), "PYTHONDONTWRITEBYTECODE": "1"}
    done = subprocess.run(["/usr/bin/python3", "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    location, steps = done.stdout.split()
    assert location == str(packages / "convsim" / "__init__.py")
    assert int(steps) == 31


def test_installed_executable(prefix, tmp_path):
    convsim = prefix / "bin" / "convsim"
    assert (prefix / "share" / "convsim" / "python" / "convsim_plots.py").is_file()
    done = subprocess.run([str(convsim), "validate", scenario_path("korea_baseline.yaml")], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "valid" in done.stdout
