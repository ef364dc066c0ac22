"""Every JSON request body has the JSON types the OpenAPI document gives it, or the answer is a 400 naming the field.

Owns one check, run before a route's handler (a dependency `openapi.doc` gives
every route whose body it documents): each value of the body whose schema says
string, integer, number, boolean, array or object must be that JSON type, nested
objects and arrays included, so a wrong type ends as `400 ValidationError:
saml.loginUrl must be a string` and never reaches a store (where, say, an object
bound as an SQLite parameter would be a 500). Only types: which fields are
required, allowed or valid stay the stores' rules, with their own error names.
Bodies that are not JSON are left to the handlers (`MalformedJSON`, forms).
Knows no route and no rule of any service.
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any, Callable

from fastapi import Request
from pydantic import BaseModel

from .errors import ValidationFailed

_WORDS = {"string": "a string", "integer": "an integer", "number": "a number", "boolean": "true or false",
          "array": "an array", "object": "an object", "null": "null"}


def _is(kind: str, value: Any) -> bool:
    if kind == "string":
        return isinstance(value, str)
    if kind == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "number":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if kind == "boolean":
        return isinstance(value, bool)
    if kind == "array":
        return isinstance(value, list)
    if kind == "object":
        return isinstance(value, dict)
    return kind != "null" or value is None


def _resolve(schema: dict[str, Any], defs: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = defs[schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def _kinds(schema: dict[str, Any], defs: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """The JSON types a schema allows, each with the branch that allows it (empty: any value)."""
    schema = _resolve(schema, defs)
    branches = schema.get("anyOf") or schema.get("oneOf")
    if branches:
        out = []
        for branch in branches:
            kinds = _kinds(branch, defs)
            if not kinds:
                return []
            out.extend(kinds)
        return out
    kind = schema.get("type")
    if kind is None:
        return []
    return [(k, schema) for k in (kind if isinstance(kind, list) else [kind])]


def problem(schema: dict[str, Any], value: Any, defs: dict[str, Any], path: str = "") -> str | None:
    """The first value of `value` that is not of its schema's JSON type, as "path must be a string"."""
    kinds = _kinds(schema, defs)
    if not kinds:
        return None
    match = next((branch for kind, branch in kinds if _is(kind, value)), None)
    if match is None:
        wanted = " or ".join(dict.fromkeys(_WORDS.get(kind, kind) for kind, _ in kinds))
        return f"{path or 'the body'} must be {wanted}"
    if isinstance(value, dict):
        properties = match.get("properties") or {}
        extra = match.get("additionalProperties")
        for key, item in value.items():
            sub = properties.get(key, extra if isinstance(extra, dict) else None)
            if sub is not None:
                found = problem(sub, item, defs, f"{path}.{key}" if path else key)
                if found:
                    return found
    elif isinstance(value, list) and isinstance(match.get("items"), dict):
        for i, item in enumerate(value):
            found = problem(match["items"], item, defs, f"{path}[{i}]")
            if found:
                return found
    return None


@lru_cache(maxsize=None)
def _schema(model: type[BaseModel]) -> tuple[dict[str, Any], dict[str, Any]]:
    schema = model.model_json_schema(mode="validation")
    return schema, schema.get("$defs", {})


def typed_body(model: type[BaseModel]) -> Callable[[Request], Any]:
    """A route dependency: the JSON body has `model`'s JSON types, or 400 ValidationError naming the field."""

    async def check(request: Request) -> None:
        if "json" not in request.headers.get("content-type", ""):
            return
        raw = await request.body()
        try:
            body = json.loads(raw) if raw.strip() else None
        except ValueError:
            return  # not JSON: the handler answers it in its own words (MalformedJSON)
        if body is None:
            return
        schema, defs = _schema(model)
        found = problem(schema, body, defs)
        if found:
            raise ValidationFailed(found)

    return check
