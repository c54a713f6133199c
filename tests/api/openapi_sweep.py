"""A sweep of every operation of the app's OpenAPI document, for the secrecy tests (tests/api/test_secrecy.py).

Nothing here names a route: the operations, their parameters and their bodies come from `app.openapi()`, so a
route added tomorrow is swept without anyone listing it. What the sweep needs of the world — which value a path
parameter, a query parameter or a body field takes — comes from a `Story`: values by name, looked up for every
parameter and field the document declares. A required parameter or field with neither a story value nor a
value its schema alone decides (an enum, a number's bounds, a plain string) stops the sweep with its name, so
a new route cannot be skipped silently.

Bodies are minimal and valid: the required fields, plus the optional ones the story gives a value for, so that
commands are not refused by validation but reach the domain, and their answers (warnings included) are swept.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx

METHODS = ("get", "post", "put", "patch", "delete")
JSON = "application/json"


@dataclass(frozen=True)
class Operation:
    """One operation of the document: its method, path template and OpenAPI operation object."""

    method: str
    path: str
    spec: dict[str, Any]

    @property
    def key(self) -> str:
        return f"{self.method.upper()} {self.path}"

    def parameters(self, where: str) -> list[dict[str, Any]]:
        return [p for p in self.spec.get("parameters", []) if p["in"] == where]


def operations(document: dict[str, Any]) -> list[Operation]:
    """Every operation of the document, in its order."""
    return [
        Operation(method, path, spec)
        for path, item in document["paths"].items()
        for method, spec in item.items() if method in METHODS
    ]


class MissingValue(LookupError):
    """Raised when the story has no value for a parameter or field the document requires."""


@dataclass
class Story:
    """Values by name for what the document asks: `paths` (each path parameter's candidates, by name; a callable
    is given the caller), `queries` (a query parameter's value) and `fields` (a body field's value, by
    `Schema.field` or by `field`; a callable is given the request's context: the path's values and `caller`)."""

    paths: Mapping[str, Sequence[Any] | Callable[[Any], Sequence[Any]]]
    queries: Mapping[str, Any]
    fields: Mapping[str, Any | Callable[[dict[str, str]], Any]]

    def path_values(self, operation: Operation, caller: Any) -> list[dict[str, str]]:
        """Every combination of the path parameters' candidates."""
        names = [p["name"] for p in operation.parameters("path")]
        candidates = []
        for name in names:
            if name not in self.paths:
                raise MissingValue(f"{operation.key}: no story value for the path parameter {name!r}")
            found = self.paths[name]
            candidates.append([str(v) for v in (found(caller) if callable(found) else found)])
        return [dict(zip(names, combination)) for combination in itertools.product(*candidates)]

    def check_headers(self, operation: Operation) -> None:
        """Raised for a required header or cookie the sweep would not send (If-Match is optional: not sent)."""
        for parameter in operation.parameters("header") + operation.parameters("cookie"):
            if parameter.get("required"):
                raise MissingValue(f"{operation.key}: the sweep sends no {parameter['in']} {parameter['name']!r}")

    def query_variants(self, operation: Operation) -> list[dict[str, Any]]:
        """The required query parameters alone, and (when the story knows some) with the optional ones too."""
        required, optional = {}, {}
        for parameter in operation.parameters("query"):
            name = parameter["name"]
            if name in self.queries:
                (required if parameter.get("required") else optional)[name] = self.queries[name]
            elif parameter.get("required"):
                raise MissingValue(f"{operation.key}: no story value for the query parameter {name!r}")
        return [required, required | optional] if optional else [required]

    def body(self, document: dict[str, Any], operation: Operation, context: dict[str, Any]) -> tuple[bool, Any]:
        """(True, a minimal valid body) for an operation that takes one, else (False, None)."""
        content = operation.spec.get("requestBody", {}).get("content", {})
        if JSON not in content:
            return False, None
        return True, Instance(document, self, context, operation.key).of(content[JSON]["schema"], "body")


@dataclass
class Instance:
    """Builds a minimal valid instance of a JSON schema, taking the story's values by field name."""

    document: dict[str, Any]
    story: Story
    context: dict[str, Any]
    where: str

    def resolve(self, schema: dict[str, Any]) -> tuple[str | None, dict[str, Any]]:
        ref = schema.get("$ref")
        if ref is None:
            return None, schema
        name = ref.rsplit("/", 1)[-1]
        return name, self.document["components"]["schemas"][name]

    def story_value(self, owner: str | None, name: str) -> tuple[bool, Any]:
        for key in (f"{owner}.{name}", name):
            if key in self.story.fields:
                found = self.story.fields[key]
                return True, found(self.context) if callable(found) else found
        return False, None

    def of(self, schema: dict[str, Any], name: str) -> Any:
        owner, schema = self.resolve(schema)
        if "anyOf" in schema:  # an optional body or field: the first alternative that is not null
            chosen = next(s for s in schema["anyOf"] if s.get("type") != "null")
            return self.of(chosen, name)
        if "enum" in schema:
            return schema["enum"][0]
        kind = schema.get("type")
        if kind == "object":
            return self.object(owner, schema)
        if kind == "array":
            return [self.of(schema["items"], name) for _ in range(schema.get("minItems", 0))]
        if kind in ("integer", "number"):
            return self.number(schema)
        if kind == "boolean":
            return schema.get("default", True)
        if kind == "string" and "format" not in schema and "pattern" not in schema:
            return name.replace("_", " ").ljust(schema.get("minLength", 1), "x")[: schema.get("maxLength", 200)]
        raise MissingValue(f"{self.where}: no story value for {name!r} ({json.dumps(schema)[:120]})")

    def object(self, owner: str | None, schema: dict[str, Any]) -> dict[str, Any]:
        required = set(schema.get("required", ()))
        built = {}
        for name, prop in schema.get("properties", {}).items():
            known, value = self.story_value(owner, name)
            if known:
                built[name] = value
            elif name in required:
                built[name] = self.of(prop, f"{owner}.{name}")
        return built

    @staticmethod
    def number(schema: dict[str, Any]) -> int | float:
        if "minimum" in schema:
            low = schema["minimum"]
        elif "exclusiveMinimum" in schema:
            low = schema["exclusiveMinimum"] + 1
        else:
            low = 1
        value = max(low, 1) if "maximum" not in schema else min(max(low, 1), schema["maximum"])
        return int(value) if schema.get("type") == "integer" else float(value)


# ---- sending and reading the answers ------------------------------------------------------------------------


@dataclass
class Exchange:
    """One request of the sweep and what it was answered."""

    caller: str
    operation: str
    method: str
    path: str
    query: dict[str, Any]
    body: Any
    status: int
    headers: dict[str, str]
    text: str
    decoy: Exchange | None = None  # the same request with the caller's hidden ids replaced by ids of nothing
    replaced: dict[str, str] = field(default_factory=dict)  # needle -> decoy, for `decoy`

    def request_text(self) -> str:
        return " ".join((self.path, json.dumps(self.query, ensure_ascii=False), json.dumps(self.body, ensure_ascii=False)))

    def answer_text(self) -> str:
        """The answer as a reader gets it (headers and body), without the problem's `instance`, which only echoes
        the request's own path."""
        body = self.text
        try:
            parsed = json.loads(self.text)
        except ValueError:
            parsed = None
        if isinstance(parsed, dict) and parsed.get("instance") == self.path:
            body = json.dumps({k: v for k, v in parsed.items() if k != "instance"}, ensure_ascii=False)
        elif parsed is not None:
            body = json.dumps(parsed, ensure_ascii=False)  # escaped text (\\u...) read as the reader reads it
        headers = " ".join(f"{k}: {v}" for k, v in self.headers.items())
        return f"{headers}\n{body}"

    def comparable(self, replacements: Mapping[str, str] | None = None) -> tuple[int, str]:
        """Status and body without `instance` (each string of `replacements` replaced): what tells one answer
        from another."""
        body = self.answer_text().split("\n", 1)[1]
        for old, new in (replacements or {}).items():
            body = body.replace(old, new)
        return self.status, body

    def tells_apart_its_decoy(self) -> bool:
        """True when the answer to the request naming hidden ids differs from the answer to its decoy (the same
        request naming nothing that exists), read with the decoy ids put back."""
        assert self.decoy is not None
        return self.comparable() != self.decoy.comparable({d: i for i, d in self.replaced.items()})


async def send(
    client: httpx.AsyncClient, caller: str, headers: dict[str, str], operation: Operation, path: dict[str, str],
    query: dict[str, Any], has_body: bool, body: Any,
) -> Exchange:
    url = operation.path.format(**path)
    options: dict[str, Any] = {"params": query, "headers": headers}
    if has_body:
        options["json"] = body
    response = await client.request(operation.method.upper(), url, **options)
    return Exchange(
        caller, operation.key, operation.method, url, query, body, response.status_code, dict(response.headers),
        response.text,
    )


def substitute(value: Any, replacements: Mapping[str, str]) -> Any:
    """`value` (a path's values, a query, a body) with every string replaced as `replacements` say."""
    text = json.dumps(value, ensure_ascii=False)
    for old, new in replacements.items():
        text = text.replace(old, new)
    return json.loads(text)


def requests_of(
    document: dict[str, Any], story: Story, operation: Operation, caller: Any,
) -> Iterator[tuple[dict[str, str], dict[str, Any], bool, Any]]:
    """Every request the sweep sends `caller` for `operation`: path combinations × query variants."""
    story.check_headers(operation)
    for path in story.path_values(operation, caller):
        has_body, body = story.body(document, operation, {**path, "caller": caller})
        for query in story.query_variants(operation):
            yield path, query, has_body, body


async def sweep(
    client: httpx.AsyncClient, document: dict[str, Any], story: Story, callers: Mapping[str, dict[str, str]],
    hidden_ids: Callable[[str], Sequence[str]], decoy: Callable[[str], str],
) -> list[Exchange]:
    """Every operation of `document`, as every caller (by name, with its headers, in order): each request the story
    makes of it; one that names an id hidden from its caller is sent again with `decoy(id)` in its place."""
    exchanges = []
    for caller, headers in callers.items():
        hidden = list(hidden_ids(caller))
        for operation in operations(document):
            for path, query, has_body, body in requests_of(document, story, operation, caller):
                exchange = await send(client, caller, headers, operation, path, query, has_body, body)
                named = [i for i in hidden if i in exchange.request_text()]
                if named:
                    replaced = {i: decoy(i) for i in named}
                    exchange.replaced = replaced
                    exchange.decoy = await send(
                        client, caller, headers, operation, substitute(path, replaced), substitute(query, replaced),
                        has_body, substitute(body, replaced),
                    )
                exchanges.append(exchange)
    return exchanges
