"""kgen: typed blueprints to validated, Helm-free Kubernetes YAML and eksctl ClusterConfig.

The public API below is loaded on first use (PEP 562), so that ``import kgen.entry`` (the
console script) costs nothing before it decides what to load.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kgen.api import BuildResult, build, to_folder, to_stream, validate_all
    from kgen.errors import InvalidInput, KgenError, TemplateBug, UsageError
    from kgen.folder import folder_diff, plan_folder, write_folder
    from kgen.model import Blueprint, Document, Problem, SourcePos
    from kgen.write import folder_files, render_stream

__version__ = "0.1.0"

#: Each public name, by the module that defines it.
_PUBLIC = {
    "BuildResult": "kgen.api",
    "build": "kgen.api",
    "to_folder": "kgen.api",
    "to_stream": "kgen.api",
    "validate_all": "kgen.api",
    "InvalidInput": "kgen.errors",
    "KgenError": "kgen.errors",
    "TemplateBug": "kgen.errors",
    "UsageError": "kgen.errors",
    "folder_diff": "kgen.folder",
    "plan_folder": "kgen.folder",
    "write_folder": "kgen.folder",
    "Blueprint": "kgen.model",
    "Document": "kgen.model",
    "Problem": "kgen.model",
    "SourcePos": "kgen.model",
    "folder_files": "kgen.write",
    "render_stream": "kgen.write",
}

__all__ = [
    "Blueprint",
    "BuildResult",
    "Document",
    "InvalidInput",
    "KgenError",
    "Problem",
    "SourcePos",
    "TemplateBug",
    "UsageError",
    "__version__",
    "build",
    "folder_diff",
    "folder_files",
    "plan_folder",
    "render_stream",
    "to_folder",
    "to_stream",
    "validate_all",
    "write_folder",
]


def __getattr__(name: str) -> Any:
    module = _PUBLIC.get(name)
    if module is None:
        raise AttributeError(f"module 'kgen' has no attribute {name!r}")
    from importlib import import_module

    value = getattr(import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_PUBLIC})
