"""AST helpers and edits of the offline translator: negating and joining conditions the way a person would
write them, and the typed edits a chat refinement makes to the current segment."""

from __future__ import annotations

from grammar import ast as A


def negate(node: A.Condition) -> A.Condition:
    """Not(node), written the way a person would: != for =, not in for in, false for true."""
    if isinstance(node, A.Not):
        return node.condition
    if isinstance(node, A.TraitCondition):
        flip = {"=": "!=", "!=": "=", "in": "not_in", "not_in": "in", "is_set": "is_not_set",
                "is_not_set": "is_set", "contains": "not_contains", "not_contains": "contains"}
        if isinstance(node.value, bool) and node.op == "=":
            return node.model_copy(update={"value": not node.value})
        if node.op in flip:
            return node.model_copy(update={"op": flip[node.op]})
    return A.Not(condition=node)


def conjoin(cls: type, parts: list[A.Condition]) -> A.Condition:
    """And / Or of the parts, flattening parts that are already of that kind; one part is itself."""
    flat: list[A.Condition] = []
    for p in parts:
        flat.extend(p.conditions if isinstance(p, cls) else [p])
    return flat[0] if len(flat) == 1 else cls(conditions=flat)


def filter_and(parts: list[A.Filter]) -> A.Filter | None:
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else A.FilterAnd(conditions=parts)
