"""Rule-based audiences: a small declarative rule over features, segments, scores and consent.

    rfm_segment in [at_risk, cannot_lose_them] and region == "Grand Est" and consent.email_marketing

The rule is parsed with Python's own expression grammar but only a whitelist of nodes is accepted
(no calls, no arithmetic, no attribute access other than ``consent.<purpose>``), so a rule can never run
code. Bare words inside a list are values, as marketers write them.
"""

from __future__ import annotations

import ast
import operator
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from features import vocab
from features.customer_features import names as n
from features.errors import CibleError

CONSENT_PREFIX = "consent."
# Fields a customer declared (or the consent ledger): using only these is not profiling.
DECLARED_FIELDS: frozenset[str] = frozenset(
    {n.REGION, n.GENDER, n.AGE, n.ACQUISITION_CHANNEL, n.HAS_WEB_ACCOUNT, n.HAS_LOYALTY_CARD, n.TENURE_DAYS}
)
COMPARISONS = {
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
}
ALLOWED_WORDS = "and, or, not, ==, !=, <, <=, >, >=, in, not in"
NAME_PATTERN = re.compile(r"^[a-z][a-z0-9_]{1,63}$")


class AudienceRuleError(CibleError, ValueError):
    """A rule that cannot be understood; the message names the unknown field or operator."""


def consent_fields() -> list[str]:
    return [f"{CONSENT_PREFIX}{purpose}" for purpose in vocab.CONSENT_PURPOSES]


def _is_negative_number(node: ast.expr) -> bool:
    negated = isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub)
    return negated and isinstance(node.operand, ast.Constant)  # type: ignore[attr-defined]


def _field_name(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "consent":
        return f"{CONSENT_PREFIX}{node.attr}"
    return None


def _describe(node: ast.AST) -> str:
    if isinstance(node, ast.BinOp | ast.UnaryOp):
        node = node.op
    symbols = {
        ast.Add: "+",
        ast.Sub: "-",
        ast.Mult: "*",
        ast.Div: "/",
        ast.Call: "a function call",
        ast.Is: "is",
        ast.IsNot: "is not",
        ast.Mod: "%",
        ast.Pow: "**",
        ast.Subscript: "[...]",
    }
    return symbols.get(type(node), type(node).__name__)


@dataclass(frozen=True)
class AudienceRule:
    text: str
    tree: ast.Expression = field(compare=False)
    fields: frozenset[str] = field(default_factory=frozenset)

    @classmethod
    def parse(cls, text: str, known_fields: set[str] | frozenset[str]) -> AudienceRule:
        try:
            tree = ast.parse(text.strip(), mode="eval")
        except SyntaxError as exc:
            raise AudienceRuleError(
                f"cannot read the rule {text!r} at column {exc.offset}: {exc.msg}"
            ) from exc
        fields: set[str] = set()
        cls._check(tree.body, known_fields, fields)
        return cls(text=text, tree=tree, fields=frozenset(fields))

    @classmethod
    def _check(
        cls, node: ast.expr, known: set[str] | frozenset[str], fields: set[str], in_list=False
    ) -> None:
        if isinstance(node, ast.BoolOp):
            for value in node.values:
                cls._check(value, known, fields)
        elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            cls._check(node.operand, known, fields)
        elif isinstance(node, ast.Compare):
            for op in node.ops:
                if type(op) not in COMPARISONS and not isinstance(op, ast.In | ast.NotIn):
                    raise AudienceRuleError(f"operator '{_describe(op)}' is not allowed; use {ALLOWED_WORDS}")
            for part in (node.left, *node.comparators):
                cls._check(part, known, fields)
        elif isinstance(node, ast.List | ast.Tuple):
            for element in node.elts:
                cls._check(element, known, fields, in_list=True)
        elif isinstance(node, ast.Constant) or _is_negative_number(node):
            return
        elif isinstance(node, ast.Name) and in_list:
            return  # a bare word in a list is a value: [at_risk, lost]
        elif (name := _field_name(node)) is not None:
            if name not in known:
                hint = ", ".join(sorted(known)[:40])
                raise AudienceRuleError(f"unknown field '{name}' in the rule; known fields include: {hint}")
            fields.add(name)
        else:
            raise AudienceRuleError(f"operator '{_describe(node)}' is not allowed; use {ALLOWED_WORDS}")

    @property
    def needs_profiling(self) -> bool:
        return any(f not in DECLARED_FIELDS and not f.startswith(CONSENT_PREFIX) for f in self.fields)

    def evaluate(self, frame: pd.DataFrame) -> np.ndarray:
        """A boolean per row of ``frame`` (which must hold every field the rule names)."""
        return np.asarray(_evaluate(self.tree.body, frame), dtype=bool)


def _value(node: ast.expr, frame: pd.DataFrame):
    if isinstance(node, ast.Constant):
        return node.value
    if _is_negative_number(node):
        return -node.operand.value  # type: ignore[attr-defined]
    if isinstance(node, ast.List | ast.Tuple):
        return [e.id if isinstance(e, ast.Name) else e.value for e in node.elts]  # type: ignore[attr-defined]
    name = _field_name(node)
    return frame[name].to_numpy()


def _evaluate(node: ast.expr, frame: pd.DataFrame) -> np.ndarray:
    if isinstance(node, ast.BoolOp):
        parts = [_evaluate(v, frame) for v in node.values]
        combine = np.logical_and if isinstance(node.op, ast.And) else np.logical_or
        out = parts[0]
        for part in parts[1:]:
            out = combine(out, part)
        return out
    if isinstance(node, ast.UnaryOp):
        return ~_evaluate(node.operand, frame)
    if isinstance(node, ast.Compare):
        result = np.ones(len(frame), dtype=bool)
        left = _value(node.left, frame)
        for op, right_node in zip(node.ops, node.comparators, strict=True):
            right = _value(right_node, frame)
            if isinstance(op, ast.In | ast.NotIn):
                hit = pd.Series(left).isin(list(right)).to_numpy()
                result &= hit if isinstance(op, ast.In) else ~hit
            else:
                with np.errstate(invalid="ignore"):
                    compared = COMPARISONS[type(op)](pd.Series(left), right)
                result &= compared.fillna(False).to_numpy(dtype=bool)
            left = right
        return result
    return pd.Series(_value(node, frame)).fillna(False).astype(bool).to_numpy()


@dataclass(frozen=True)
class Audience:
    name: str
    rule: AudienceRule
    description: str = ""

    @classmethod
    def from_mapping(
        cls, data: dict, known_fields: set[str] | frozenset[str], source: str = "audience"
    ) -> Audience:
        unknown = sorted(set(data) - {"name", "rule", "description"})
        if unknown:
            raise AudienceRuleError(
                f"{source}: unknown key(s) {', '.join(unknown)}; use name, rule, description"
            )
        for key in ("name", "rule"):
            if not isinstance(data.get(key), str) or not data[key].strip():
                raise AudienceRuleError(f"{source}: '{key}' is required and must be text")
        if not NAME_PATTERN.match(data["name"]):
            raise AudienceRuleError(
                f"{source}: name {data['name']!r} must be lower case letters, digits and _ (2-64 characters)"
            )
        rule = AudienceRule.parse(data["rule"], known_fields)
        return cls(name=data["name"], rule=rule, description=str(data.get("description", "")))

    def to_yaml(self) -> str:
        return yaml.safe_dump(
            {"name": self.name, "description": self.description, "rule": self.rule.text},
            allow_unicode=True,
            sort_keys=False,
        )


def load_audience_file(path: Path, known_fields: set[str] | frozenset[str]) -> Audience:
    try:
        data = yaml.safe_load(path.read_text())
    except yaml.YAMLError as exc:
        raise AudienceRuleError(f"{path}: not valid YAML ({exc})") from exc
    if not isinstance(data, dict):
        raise AudienceRuleError(f"{path}: expected a mapping with name, rule and description")
    return Audience.from_mapping(data, known_fields, source=str(path))
