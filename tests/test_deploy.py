"""The deployment files: the container's build stage makes a wheel that really runs.

No container engine runs on the test machines, so the build stage is reproduced: its
``COPY`` lines are read from deploy/Dockerfile, exactly those paths are copied to a fresh
directory, a wheel is built there and installed into a new virtualenv, and ``govwatch demo``
runs from that install in an empty directory (no checkout to fall back on). A file the
wheel needs but the Dockerfile forgets to copy (as config/ once was) fails here.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOCKERFILE = ROOT / "deploy" / "Dockerfile"


def instructions(text: str) -> list[tuple[str, str]]:
    """(KEYWORD, arguments) per Dockerfile instruction, continuation lines joined."""
    joined = text.replace("\\\n", " ")
    found = []
    for line in joined.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, rest = line.partition(" ")
            found.append((keyword.upper(), rest.strip()))
    return found


def build_stage_copies(text: str) -> list[tuple[list[str], str]]:
    """The (sources, destination) of each COPY in the stage named ``build``."""
    copies: list[tuple[list[str], str]] = []
    in_build = False
    for keyword, rest in instructions(text):
        if keyword == "FROM":
            in_build = rest.lower().endswith(" as build")
        elif keyword == "COPY" and in_build:
            *sources, destination = shlex.split(rest)
            assert not any(s.startswith("--") for s in sources), "flags are not reproduced"
            copies.append((sources, destination))
    return copies


def reproduce_build_context(text: str, into: Path) -> None:
    """Copy the build stage's COPY set from the checkout to ``into`` (its WORKDIR)."""
    for sources, destination in build_stage_copies(text):
        for source in sources:
            origin = ROOT / source
            if destination.endswith("/") or destination in (".", "./"):
                target = into / destination / origin.name
            else:
                target = into / destination
            if origin.is_dir():
                shutil.copytree(
                    origin, target, ignore=shutil.ignore_patterns("__pycache__", "*.pyc")
                )
            else:
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(origin, target)


def test_the_dockerfile_builds_in_stages_as_a_non_root_user_with_state_and_health() -> None:
    steps = instructions(DOCKERFILE.read_text(encoding="utf-8"))
    keywords = [keyword for keyword, _ in steps]
    assert keywords.count("FROM") == 2
    env = " ".join(rest for keyword, rest in steps if keyword == "ENV")
    for setting in ("GOVWATCH_SOURCES", "GOVWATCH_CONFIG", "GOVWATCH_ROUTING"):
        assert f"{setting}=/etc/govwatch/" in env
    assert "GOVWATCH_HEALTHZ_PORT=8087" in env
    assert ("USER", "govwatch") in steps
    assert ("VOLUME", "/var/lib/govwatch") in steps
    assert ("STOPSIGNAL", "SIGTERM") in steps
    assert any(k == "HEALTHCHECK" and "8087/healthz" in rest for k, rest in steps)


def test_the_systemd_unit_reads_routing_from_etc_and_its_user_is_created() -> None:
    unit = (ROOT / "deploy" / "govwatch.service").read_text(encoding="utf-8")
    assert "Environment=GOVWATCH_ROUTING=/etc/govwatch/routing.yaml" in unit
    sysusers = (ROOT / "deploy" / "govwatch.sysusers").read_text(encoding="utf-8")
    user_lines = [line.split() for line in sysusers.splitlines() if line.startswith("u ")]
    assert user_lines
    assert user_lines[0][1] == "govwatch"
    assert "User=govwatch" in unit


def test_the_build_stage_copy_set_makes_a_wheel_that_runs_the_demo(tmp_path: Path) -> None:
    context = tmp_path / "src"
    context.mkdir()
    reproduce_build_context(DOCKERFILE.read_text(encoding="utf-8"), context)
    wheels = tmp_path / "wheels"
    built = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "--wheel-dir",
            str(wheels),
            str(context),
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert built.returncode == 0, built.stdout + built.stderr
    (wheel,) = wheels.glob("govwatch-*.whl")

    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    # The wheel alone goes in; its dependencies are borrowed from the test environment
    # (appended to the new venv's path, after its own site-packages) instead of being
    # downloaded again. The borrowed directory's own .pth files (the editable checkout)
    # are not processed, so govwatch itself can only come from the wheel.
    installed = subprocess.run(
        [str(python), "-m", "pip", "install", "--no-deps", "--no-index", str(wheel)],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert installed.returncode == 0, installed.stdout + installed.stderr
    site_packages = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    Path(site_packages, "borrowed-dependencies.pth").write_text(
        sysconfig.get_path("purelib") + "\n", encoding="utf-8"
    )

    run_dir = tmp_path / "empty"
    run_dir.mkdir()
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("GOVWATCH_") and key != "PYTHONPATH"
    }
    where = subprocess.run(
        [str(python), "-c", "import crawler, spiders, storage; print(crawler.__file__)"],
        capture_output=True,
        text=True,
        check=False,
        cwd=run_dir,
        env=env,
    )
    assert where.returncode == 0, where.stderr
    assert where.stdout.startswith(str(venv)), where.stdout
    demo = subprocess.run(
        [str(venv / "bin" / "govwatch"), "demo"],
        capture_output=True,
        text=True,
        check=False,
        cwd=run_dir,
        env=env,
        timeout=180,
    )
    assert demo.returncode == 0, demo.stdout + demo.stderr
    assert demo.stdout.count("New: ") == 5
    assert (run_dir / "var" / "demo.sqlite3").is_file()
    assert not (run_dir / "config").exists()


def test_make_bench_says_that_govsim_is_missing(tmp_path: Path) -> None:
    missing = tmp_path / "no-govsim"
    # -o: never (re)build the virtualenv from this test.
    result = subprocess.run(
        ["make", "-s", "-o", ".venv/.installed", "bench", f"GOVSIM_DIR={missing}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode != 0
    assert f"govsim not found at {missing}" in result.stderr
    assert "Traceback" not in result.stderr
