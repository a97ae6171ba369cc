"""kgen: typed blueprints to validated, Helm-free Kubernetes YAML and eksctl ClusterConfig."""

from kgen.api import BuildResult, build, to_folder, to_stream, validate_all
from kgen.errors import InvalidInput, KgenError, TemplateBug, UsageError
from kgen.folder import folder_diff, plan_folder, write_folder
from kgen.model import Blueprint, Document, Problem, SourcePos
from kgen.write import folder_files, render_stream

__version__ = "0.1.0"

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
