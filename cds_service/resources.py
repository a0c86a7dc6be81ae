"""Locate and load the project's data files and JSON Schemas.

Schemas live in the repository's ``schemas/`` folder (a contract face); a built
wheel carries them as ``cds_service/_schemas``. Data files (code sets, policies,
criterion catalogue) ship inside the package.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
from jsonschema import Draft202012Validator

from cds_service.errors import ConfigurationError

PACKAGE_DIR = Path(__file__).resolve().parent
DATA_DIR = PACKAGE_DIR / "data"
POLICY_DIR = DATA_DIR / "policies"


def schema_dir() -> Path:
    """The schemas folder: packaged copy in a wheel, the repository folder in a checkout."""
    packaged = PACKAGE_DIR / "_schemas"
    if packaged.is_dir():
        return packaged
    return PACKAGE_DIR.parent / "schemas"


def read_json(path: Path) -> Any:
    """Read a JSON file, turning syntax errors into a configuration error naming the file."""
    try:
        with path.open(encoding="utf-8") as handle:
            return json.load(handle)
    except FileNotFoundError as exc:
        raise ConfigurationError(f"{path}: file not found") from exc
    except json.JSONDecodeError as exc:
        raise ConfigurationError(
            f"{path}: not valid JSON ({exc.msg} at line {exc.lineno})"
        ) from exc


@cache
def validator(schema_name: str) -> Draft202012Validator:
    """A compiled validator for one schema file, built once per process."""
    schema = read_json(schema_dir() / schema_name)
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


def describe_error(error: jsonschema.ValidationError) -> tuple[str, str]:
    """A (location, message) pair for the most relevant schema violation."""
    path = [str(part) for part in error.absolute_path]
    if error.validator == "required" and isinstance(error.instance, dict):
        required: list[str] = error.validator_value  # type: ignore[assignment]
        absent = [name for name in required if name not in error.instance]
        path += absent[:1]
    return ".".join(path) or "(root)", error.message


def load_validated(path: Path, schema_name: str) -> Any:
    """Load a data file and validate it, failing with a message that names the field."""
    document = read_json(path)
    error = jsonschema.exceptions.best_match(validator(schema_name).iter_errors(document))
    if error is not None:
        location, message = describe_error(error)
        raise ConfigurationError(f"{path.name}: invalid at {location}: {message}")
    return document
