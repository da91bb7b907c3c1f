"""Optional validation of request bodies against Discord's official OpenAPI spec.

The spec (1.1 MB) is loaded and indexed once per process and validators are cached per operation, because the
test suite starts many emulators. Validation silently turns itself off when ``jsonschema``/``referencing`` or the
spec file are unavailable, so the emulator stays importable with only aiohttp installed.

The spec's ``SnowflakeType`` only allows strings, but discord.py legitimately sends integer ids (allowed_mentions,
message_reference, scheduled-event channel_id) and Discord accepts them, so it is widened as the reference notes.
"""

from __future__ import annotations

import functools
import importlib
import json
import os
import threading
from pathlib import Path
from typing import Any

from .limits import Violation

JSON = dict[str, Any]

SPEC_ENV = "FAKEDISCORD_OPENAPI"
_BASE_URI = "urn:discord-openapi"
_SNOWFLAKE_PATCH: JSON = {
    "anyOf": [{"type": "string", "pattern": "^(0|[1-9][0-9]*)$"}, {"type": "integer", "minimum": 0}]
}


def default_spec_path() -> Path:
    """``$FAKEDISCORD_OPENAPI``, else the copy shipped in ``fakediscord/spec/`` (Discord's spec, MIT licensed)."""
    env = os.environ.get(SPEC_ENV)
    if env:
        return Path(env)
    return Path(__file__).resolve().parent / "spec" / "discord-openapi.json"


class SpecValidator:
    """Validates request bodies per (method, spec path template); one instance per spec file per process."""

    def __init__(self, spec: JSON) -> None:
        jsonschema = importlib.import_module("jsonschema")
        from referencing import Registry, Resource
        from referencing.jsonschema import DRAFT202012

        spec["components"]["schemas"]["SnowflakeType"] = _SNOWFLAKE_PATCH
        self._spec = spec
        self._registry: Any = Registry().with_resource(_BASE_URI, Resource.from_contents(spec, DRAFT202012))
        self._validator_cls: Any = jsonschema.Draft202012Validator
        self._validators: dict[tuple[str, str, str | None], Any] = {}
        self._lock = threading.Lock()

    def has_operation(self, method: str, path: str) -> bool:
        return method.lower() in self._spec["paths"].get(path, {})

    def _validator(self, method: str, path: str, schema: str | None) -> Any:
        key = (method.lower(), path, schema)
        with self._lock:
            if key not in self._validators:
                self._validators[key] = self._build(*key)
            return self._validators[key]

    def _build(self, method: str, path: str, schema: str | None) -> Any:
        operation = self._spec["paths"].get(path, {}).get(method)
        if operation is None:
            return None
        content = operation.get("requestBody", {}).get("content", {})
        if "application/json" not in content:
            return None
        if schema is not None:
            pointer = f"/components/schemas/{schema}"
        else:
            escaped = path.replace("~", "~0").replace("/", "~1")
            pointer = f"/paths/{escaped}/{method}/requestBody/content/application~1json/schema"
        return self._validator_cls({"$ref": f"{_BASE_URI}#{pointer}"}, registry=self._registry)

    def validate(self, method: str, path: str, body: Any, schema: str | None = None) -> list[Violation]:
        """Schema violations of ``body`` for the operation; empty when the spec has no schema for it.

        ``schema`` names the member of the operation's union that applies, e.g. ``UpdateThreadRequestPartial`` for
        a thread's ``PATCH /channels/{channel_id}``: the union's members set no ``additionalProperties``, so a body
        always fits one of them and the union alone would accept anything.
        """
        best_match = importlib.import_module("jsonschema.exceptions").best_match
        validator = self._validator(method, path, schema)
        if validator is None:
            return []
        error = best_match(validator.iter_errors(body))
        if error is None:
            return []
        error = _narrow(error, best_match)
        parts = [str(p) for p in error.absolute_path]
        kind = str(error.validator)
        limit = error.validator_value
        if kind in ("maxLength", "maxItems"):
            message = f"Must be {limit} or fewer in length."
        elif kind in ("minLength", "minItems"):
            message = f"Must be {limit} or more in length."
        elif kind == "required":
            missing = next(
                (name for name in limit if isinstance(error.instance, dict) and name not in error.instance), None
            )
            if missing is not None:
                parts.append(str(missing))
            message = "This field is required"
        else:
            message = str(error.message)[:300]
        return [Violation(".".join(parts), f"OPENAPI_{kind.upper()}", message, source="openapi")]


def _narrow(error: Any, best_match: Any) -> Any:
    """Descend into ``anyOf``/``oneOf`` errors when exactly one branch fits the instance's type/discriminator.

    The callback body is a union selected by ``type``; the useful error is the one inside that branch
    (``data.choices: Must be 25 or fewer in length.``), not "is not valid under any of the given schemas".
    """
    while str(error.validator) in ("anyOf", "oneOf") and error.context:
        branches: dict[Any, list[Any]] = {}
        for sub in error.context:
            branches.setdefault(sub.schema_path[0] if sub.schema_path else None, []).append(sub)

        def wrong_branch(errs: list[Any]) -> bool:
            for e in errs:
                rel = list(e.relative_path)
                if not rel and str(e.validator) == "type":
                    return True
                if rel == ["type"] and str(e.validator) in ("enum", "const"):
                    return True
            return False

        viable = [errs for errs in branches.values() if not wrong_branch(errs)]
        if len(viable) > 1:  # several branches fit the shape: the one with the fewest errors is meant
            fewest = min(len(errs) for errs in viable)
            viable = [errs for errs in viable if len(errs) == fewest]
        if len(viable) != 1:
            break
        error = best_match(viable[0])
    return error


_load_lock = threading.Lock()


@functools.cache
def _load(path: str) -> SpecValidator | None:
    try:
        importlib.import_module("jsonschema")
        importlib.import_module("referencing")
    except ImportError:
        return None
    try:
        with open(path, encoding="utf-8") as fh:
            spec = json.load(fh)
    except OSError:
        return None
    return SpecValidator(spec)


def get_validator(path: Path | None = None) -> SpecValidator | None:
    """The process-wide validator for the spec at ``path`` (default location), or None if unavailable."""
    resolved = str((path or default_spec_path()).resolve())
    with _load_lock:
        return _load(resolved)
