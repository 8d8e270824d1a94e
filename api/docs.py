"""The API's reference page (/api/v1/docs), rendered on the server from the schema.

django-ninja's own docs pages run Swagger UI or Redoc: megabytes of script that set
inline styles (and load from a CDN unless "ninja" is an installed app), which the
site's Content-Security-Policy refuses (`style-src 'self'`, no inline anything). This
page is a template of the site instead: every operation with its parameters, its
responses and their fields, and an example, read from the same schema /api/v1/schema
serves, so it cannot drift from it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from ninja.openapi.docs import DocsBase

_EXAMPLE_BY_FORMAT = {"date": "2026-03-05", "date-time": "2026-03-05T14:30:00Z"}


@dataclass(frozen=True)
class Field:
    name: str
    type: str
    required: bool
    description: str


@dataclass(frozen=True)
class Parameter:
    name: str
    location: str
    required: bool
    type: str
    description: str
    example: str


@dataclass(frozen=True)
class Response:
    status: str
    description: str
    content_type: str
    fields: list[Field]
    headers: list[Field]
    example: str


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    anchor: str
    summary: str
    description: str
    parameters: list[Parameter]
    responses: list[Response]
    curl: str


@dataclass
class _Walker:
    """Reads fields and examples out of the schema's components."""

    components: dict[str, Any]
    seen: set[str] = field(default_factory=set)

    def resolve(self, schema: dict) -> dict:
        ref = schema.get("$ref", "")
        if ref.startswith("#/components/schemas/"):
            return self.components.get(ref.rsplit("/", 1)[1], {})
        return schema

    def type_of(self, schema: dict) -> str:
        if "$ref" in schema:
            return "object"
        if "anyOf" in schema:
            return " or ".join(self.type_of(option) for option in schema["anyOf"])
        if "enum" in schema:
            return "one of " + ", ".join(str(value) for value in schema["enum"])
        kind = schema.get("type", "any")
        if "format" in schema:
            return f"{kind} ({schema['format']})"
        return kind

    def fields(self, schema: dict, prefix: str = "") -> list[Field]:
        schema = self.resolve(schema)
        required = set(schema.get("required", ()))
        found: list[Field] = []
        for name, prop in schema.get("properties", {}).items():
            found.append(
                Field(
                    name=prefix + name,
                    type=self.type_of(prop),
                    required=name in required,
                    description=self.resolve(prop).get("description", "")
                    or prop.get("description", ""),
                )
            )
            if "$ref" in prop:
                found.extend(self.fields(prop, prefix=f"{prefix}{name}."))
            elif "$ref" in prop.get("items", {}):
                found.extend(self.fields(prop["items"], prefix=f"{prefix}{name}[]."))
        return found

    def example(self, schema: dict) -> Any:
        if "$ref" in schema:
            schema = self.resolve(schema)
        if "examples" in schema:
            return schema["examples"][0]
        if "properties" in schema:
            return {
                name: self.example(prop) for name, prop in schema["properties"].items()
            }
        if "anyOf" in schema:
            non_null = [s for s in schema["anyOf"] if s.get("type") != "null"]
            return self.example(non_null[0]) if non_null else None
        if schema.get("type") == "array":
            return [self.example(schema.get("items", {}))]
        if "enum" in schema:
            return schema["enum"][0]
        if schema.get("format") in _EXAMPLE_BY_FORMAT:
            return _EXAMPLE_BY_FORMAT[schema["format"]]
        return {"integer": 0, "number": 0, "boolean": True}.get(
            schema.get("type", ""), "string"
        )


def _curl(method: str, url: str, spec: dict, walker: _Walker) -> str:
    """The operation as a curl command: its token header when it needs one, its
    example body when it takes one."""
    parts = ["curl -s"]
    if method != "get":
        parts.append(f"-X {method.upper()}")
    if spec.get("security"):
        parts.append('-H "Authorization: Bearer $LIFELINE_TOKEN"')
    body = spec.get("requestBody", {}).get("content", {}).get("application/json")
    if body:
        example = json.dumps(walker.example(body.get("schema", {})))
        parts.append("-H 'Content-Type: application/json'")
        parts.append(f"-d '{example}'")
    parts.append(url)
    return " ".join(parts)


def reference_for(schema: dict[str, Any]) -> list[Operation]:
    """The schema's operations, in the order they are declared."""
    walker = _Walker(components=schema.get("components", {}).get("schemas", {}))
    operations = []
    for path, methods in schema.get("paths", {}).items():
        for method, spec in methods.items():
            parameters = [
                Parameter(
                    name=p["name"],
                    location=p["in"],
                    required=p.get("required", False),
                    type=walker.type_of(p.get("schema", {})),
                    description=p.get("description", ""),
                    example=str(p.get("example", "")),
                )
                for p in spec.get("parameters", [])
            ]
            example_path = path
            for parameter in parameters:
                example_path = example_path.replace(
                    "{" + parameter.name + "}", parameter.example or parameter.name
                )
            responses = []
            for status, answer in spec.get("responses", {}).items():
                content_type, body = next(
                    iter(answer.get("content", {}).items()), ("", {})
                )
                body_schema = body.get("schema", {})
                responses.append(
                    Response(
                        status=str(status),
                        description=answer.get("description", ""),
                        content_type=content_type,
                        fields=walker.fields(body_schema) if body_schema else [],
                        headers=[
                            Field(
                                name=name,
                                type=walker.type_of(header.get("schema", {})),
                                required=False,
                                description=header.get("description", ""),
                            )
                            for name, header in answer.get("headers", {}).items()
                        ],
                        example=json.dumps(walker.example(body_schema), indent=2)
                        if body_schema
                        else "",
                    )
                )
            operations.append(
                Operation(
                    method=method.upper(),
                    path=path,
                    anchor=spec.get("operationId", f"{method}-{path}"),
                    summary=spec.get("summary", ""),
                    description=spec.get("description", ""),
                    parameters=parameters,
                    responses=responses,
                    curl=_curl(
                        method, f"{settings.SITE_URL}{example_path}", spec, walker
                    ),
                )
            )
    return operations


class ReferencePage(DocsBase):
    """django-ninja's docs hook, answering with our page instead of Swagger UI."""

    def render_page(self, request: HttpRequest, api, **kwargs: Any) -> HttpResponse:
        schema = api.get_openapi_schema(path_params=kwargs)
        context = {
            "info": schema["info"],
            "openapi_version": schema["openapi"],
            "schema_url": self.get_openapi_url(api, kwargs),
            "operations": reference_for(schema),
            "rate_limit": settings.CERTIFICATE_API_RATE_LIMIT,
            "rate_window": settings.CERTIFICATE_VERIFY_RATE_WINDOW,
            "token_rate_limit": settings.ORGANIZATION_API_RATE_LIMIT,
            "token_rate_window": settings.ORGANIZATION_API_RATE_WINDOW,
        }
        return render(request, "api/api_docs.html", context)
