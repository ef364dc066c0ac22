"""The emulator's OpenAPI document: what each route takes and answers, with the status codes it really returns.

Routes stay thin and keep parsing their own bodies (so malformed input gets CloudLink's error names,
never a framework's); the pydantic models in each service's `models.py` describe those bodies and
answers for the document only. `doc(...)` gives a route its request body, its success model and its
error statuses; `install(api)` finishes the document: it adds the request models to the components,
drops FastAPI's 422 (the emulator answers 400 `ValidationError` for any unparsable parameter) and
adds what the gate in front of every CloudLink route can answer (429 from the rate limiter).
Knows no rule of any service.
"""

from __future__ import annotations

from typing import Any

from fastapi import Depends, FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel, ConfigDict, Field, create_model

from .typed_body import typed_body

_REQUEST_MODELS: dict[str, type[BaseModel]] = {}  # every model a document names
_KEY = "x-emulator-documented"  # carries `doc`'s responses and body to `install`
_DESCRIPTIONS = {400: "Bad request: the error names the rule", 401: "Not authenticated",
                 403: "Not allowed", 404: "Not found (also what the caller may not see)",
                 405: "Method not allowed", 409: "Conflict with the current state",
                 429: "Rate limited (Retry-After)"}


class Error(BaseModel):
    """CloudLink's error body."""
    model_config = ConfigDict(extra="forbid")
    name: str
    message: str
    labels: list[str] | None = None


class Reply(BaseModel):
    """A response body: the fields the API defines; it may carry more."""
    model_config = ConfigDict(extra="allow", populate_by_name=True)


class Body(BaseModel):
    """A request body: only the fields the API defines (the stores refuse others)."""
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class Href(Reply):
    href: str


class SelfLink(Reply):
    self: Href


class PageLinks(Reply):
    self: Href
    next: Href | None = None


class Audited(Reply):
    """The audit fields and self link every CloudLink resource carries."""
    createdOn: str | None = None
    createdBy: str | None = None
    modifiedOn: str | None = None
    modifiedBy: str | None = None
    links: SelfLink | None = Field(None, alias="_links")


def page_of(item: type[BaseModel]) -> type[BaseModel]:
    """CloudLink's HAL list of `item`: `{count, _links: {self, next?}, _embedded: {items}}`."""
    embedded = create_model(f"{item.__name__}Items", __base__=Reply, items=(list[item], ...))
    return create_model(f"{item.__name__}List", __base__=Reply, count=(int, ...),
                        links=(PageLinks, Field(..., alias="_links")),
                        embedded=(embedded, Field(..., alias="_embedded")))


def doc(ok: int, model: Any = None, *errors: int, body: type[BaseModel] | None = None,
        media: str = "application/json", error: type[BaseModel] = Error, form: bool = False,
        also: dict[int, Any] | None = None) -> dict[str, Any]:
    """The route keyword arguments that document one operation (`@router.get(path, **doc(...))`).

    `ok` and `model`: the success status and its body (None: no body). `errors`: the other statuses
    the route answers; `also`: other successes. `body`: the request body's model (`form`: also as a
    urlencoded form). What is
    given here replaces what FastAPI would infer (see `install`). A JSON body the route documents is
    checked against its JSON types before the handler runs (`typed_body`).
    """
    responses: dict[str, Any] = {str(ok): {"description": "Success"}}
    if model is not None:
        responses[str(ok)]["content"] = {media: {"schema": _ref(model)}}
    for status, other in (also or {}).items():
        responses[str(status)] = {"description": "Success", "content": {media: {"schema": _ref(other)}}}
    for status in errors:
        responses[str(status)] = {"description": _DESCRIPTIONS.get(status, "Error"),
                                  "content": {media: {"schema": _ref(error)}}}
    documented: dict[str, Any] = {"responses": responses}
    if body is not None:
        content = {"application/json": {"schema": _ref(body)}}
        if form:
            content = {"application/x-www-form-urlencoded": {"schema": _ref(body)}, **content}
        documented["requestBody"] = {"required": True, "content": content}
    route: dict[str, Any] = {"status_code": ok, "response_model": None, "openapi_extra": {_KEY: documented}}
    if body is not None and not form and error is Error:  # SCIM bodies are checked in SCIM's own words
        route["dependencies"] = [Depends(typed_body(body))]  # a wrong JSON type is a 400 naming the field
    return route


def _ref(model: Any) -> dict[str, Any]:
    if isinstance(model, dict):  # an inline schema
        return model
    if isinstance(model, list):  # a JSON array of one model
        return {"type": "array", "items": _ref(model[0])}
    _REQUEST_MODELS[model.__name__] = model
    return {"$ref": f"#/components/schemas/{model.__name__}"}


def install(api: FastAPI, gated: tuple[str, ...]) -> None:
    """Finish `api`'s OpenAPI document once, when it is first asked for. `gated`: the path prefixes the
    gate's rate limiter stands in front of."""

    def openapi() -> dict[str, Any]:
        if api.openapi_schema:
            return api.openapi_schema
        schema = get_openapi(title=api.title, version=api.version, description=api.description, routes=api.routes)
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        for name, model in sorted(_REQUEST_MODELS.items()):  # after get_openapi: the routes named them
            js = model.model_json_schema(ref_template="#/components/schemas/{model}", mode="validation")
            components.update(js.pop("$defs", {}))
            components[name] = js
        for path, operations in schema.get("paths", {}).items():
            for operation in operations.values():
                inferred = operation.pop("responses", {})
                documented = operation.pop(_KEY, None)
                if documented is not None:
                    operation.pop("requestBody", None)
                    operation.update(documented)
                else:
                    operation["responses"] = inferred
                responses = operation["responses"]
                params = operation.get("parameters", [])
                if any(q["in"] == "header" and q["name"].lower() == "authorization" for q in params):
                    # the bearer token is a security scheme, not a parameter to fill in
                    operation["parameters"] = [q for q in params if q["name"].lower() != "authorization"]
                    operation["security"] = [{"bearer": []}]
                if inferred.get("422") and "400" not in responses:  # what FastAPI would refuse, we answer 400
                    responses["400"] = {"description": _DESCRIPTIONS[400],
                                        "content": {"application/json": {"schema": _ref(Error)}}}
                if path.startswith(gated) and "429" not in responses:  # the gate answers CloudLink's way
                    responses["429"] = {"description": _DESCRIPTIONS[429],
                                        "content": {"application/json": {"schema": _ref(Error)}}}
        schema["components"]["securitySchemes"] = {"bearer": {"type": "http", "scheme": "bearer"}}
        for unused in ("HTTPValidationError", "ValidationError"):
            components.pop(unused, None)
        if "Error" not in components:
            components["Error"] = Error.model_json_schema()
        api.openapi_schema = schema
        return schema

    api.openapi = openapi  # type: ignore[method-assign]
