"""Set-up files agree with each other: lock, environment.yml, pyproject, README, CI."""

import json
import re
import tomllib

import yaml

from tifa import config

ROOT = config.PROJECT_ROOT


def _pins(lines):
    return {m.group(1).lower(): m.group(2) for line in lines if (m := re.match(r"^\s*(?:- )?([A-Za-z0-9_.-]+)==([^\s;]+)", line))}


def _norm(name):
    return re.sub(r"[-_.]+", "-", name).lower()


def test_environment_yml_pins_agree_with_the_lock():
    lock = {_norm(k): v for k, v in _pins((ROOT / "requirements.lock").read_text().splitlines()).items()}
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip_section = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    env_pins = {_norm(k): v for k, v in _pins(pip_section).items()}
    assert env_pins, "environment.yml pins nothing"
    assert {k: lock.get(k) for k in env_pins} == env_pins
    assert "-e ." in pip_section


def test_every_declared_dependency_is_pinned_in_both():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    declared = project["dependencies"] + [d for extra in project["optional-dependencies"].values() for d in extra]
    names = {_norm(re.match(r"[A-Za-z0-9_.-]+", d).group(0)) for d in declared}
    lock = {_norm(k) for k in _pins((ROOT / "requirements.lock").read_text().splitlines())}
    env = {_norm(k) for k in _pins((ROOT / "environment.yml").read_text().splitlines())}
    assert names <= lock, names - lock
    assert names <= env, names - env


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    quick_start = readme.split("## Quick start", 1)[1].split("##", 1)[0]
    assert re.findall(r"^make \w+", quick_start, flags=re.M) == ["make figures", "make test"]
    ci = (ROOT / ".ci" / "run").read_text().splitlines()
    assert [line for line in ci if line.startswith("make")] == ["make test"]


def test_notebooks_use_the_registered_tifa_kernel():
    from jupyter_client.kernelspec import KernelSpecManager

    from tifa.study import NOTEBOOKS

    for name in NOTEBOOKS:
        spec = json.loads((config.NOTEBOOKS_DIR / f"{name}.ipynb").read_text(encoding="utf-8"))["metadata"]["kernelspec"]
        assert spec["name"] == "tifa", f"{name} must run on the project's kernel"
    assert "tifa" in KernelSpecManager().find_kernel_specs(), "make env registers the kernel (ipykernel install --sys-prefix --name tifa)"
