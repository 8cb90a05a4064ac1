"""OpenAPI links (3.1 ``responses.<code>.links``) from each collection to its items.

A client, or a stateful test generator such as schemathesis, reads from them that the
first item of ``GET …/claims`` is what ``GET …/claims/{claim}`` (its receipt, its QR
code) takes, and likewise for regions, members, quests, proposals and perks: the paths
below a collection are linked to it, each item parameter taken from the page's first
item."""

from __future__ import annotations

import re
from typing import Any

ITEM_FIELDS = {"region": "region", "claim": "id", "quest": "id", "proposal": "id", "perk": "id",
               "address": "address"}
"""A path parameter that names an item → the field of a collection's item that holds it."""

_PARAM = re.compile(r"\{(\w+)\}")


def add_links(doc: dict[str, Any]) -> None:
    """Add, in place, a link from every collection's 200 answer to each GET below one
    of its items (``/v1/regions/{region}/claims`` → ``…/claims/{claim}``, ``…/receipt``)."""
    paths: dict[str, dict[str, Any]] = doc.get("paths", {})
    for path, ops in paths.items():
        target = ops.get("get")
        if target is None or "operationId" not in target:
            continue
        for name, field in ITEM_FIELDS.items():
            marker = "/{" + name + "}"
            if marker not in path:
                continue
            collection = path.split(marker)[0]
            source = paths.get(collection, {}).get("get")
            answer = (source or {}).get("responses", {}).get("200")
            if answer is None:
                continue
            known = set(_PARAM.findall(collection))
            wanted = set(_PARAM.findall(path))
            if not wanted <= known | {name}:
                continue  # the target needs something the collection can't give
            parameters = {p: f"$request.path.{p}" for p in sorted(wanted - {name})}
            schema = answer.get("content", {}).get("application/json", {}).get("schema", {})
            first = "/0" if schema.get("type") == "array" else "/items/0"  # list or page
            parameters[name] = f"$response.body#{first}/{field}"
            answer.setdefault("links", {})[target["operationId"]] = {
                "operationId": target["operationId"], "parameters": parameters,
                "description": f"`{name}` is the `{field}` of the first item answered"}
