"""What the file-fuzzing tests share: the places in a JSON document to mutate."""

from __future__ import annotations

from typing import Any


def json_places(document: Any) -> list[tuple[Any, Any]]:
    """Every (container, key) in a JSON document, found with an explicit stack."""
    places, stack = [], [document]
    while stack:
        node = stack.pop()
        keys = list(node) if isinstance(node, dict) else range(len(node))
        for key in keys:
            places.append((node, key))
            if isinstance(node[key], (dict, list)):
                stack.append(node[key])
    return places
