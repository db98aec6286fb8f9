"""Typed task models, generated from the domain registry: what the HTTP API and the MCP tools
accept as a task, and the JSON Schema their documents show.

`task_model()` is a union: one model per registered domain (`{"domain": NAME, ...its fields}`,
discriminated by `domain`, field types from `FieldSpec.kind`, required fields required, no
other keys) or the plain task (`text`, `unknowns`, `constraints`, `goal`). Validating with it
checks exactly what the schema states; what a schema cannot say (a Sudoku grid's shape, a
constraint that does not parse) is the engine's to judge, and a solve answers it with status
`invalid`, not with a refusal of the request.
"""

from __future__ import annotations

import functools
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    StrictBool,
    StrictFloat,
    StrictInt,
    StrictStr,
    Tag,
    create_model,
)

from reasoning.domains import get, names
from reasoning.domains._base import FieldSpec

#: Largest task text, constraint list and unknown count the schema admits.
MAX_TEXT_CHARS = 100_000
MAX_CONSTRAINTS = 1000
MAX_UNKNOWNS = 100
#: An unknown's name (as `reasoning.engine._task` reads it).
NAME_PATTERN = r"^[A-Za-z_][A-Za-z_0-9]*'*$"

_KINDS: dict[str, Any] = {
    "int": StrictInt,
    "ints": list[StrictInt],
    "str": StrictStr,
    "strs": list[StrictStr],
    "bool": StrictBool,
    "float": StrictInt | StrictFloat,
}

_Name = Annotated[str, Field(pattern=NAME_PATTERN, max_length=100)]


class _Closed(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


class FindGoal(_Closed):
    """Values for the named unknowns (none named: all of them); `unique`: prove no other."""

    kind: Literal["find"]
    unknowns: list[_Name] = Field(default_factory=list, max_length=MAX_UNKNOWNS)
    unique: bool = False


class AllGoal(_Closed):
    """The complete solution set for the named unknowns (none named: all of them)."""

    kind: Literal["all"]
    unknowns: list[_Name] = Field(default_factory=list, max_length=MAX_UNKNOWNS)


class DecideGoal(_Closed):
    """Decide a claim (in the claim language): the answer is the claim or its negation."""

    kind: Literal["decide"]
    claim: str = Field(min_length=1, max_length=MAX_TEXT_CHARS)


Goal = Annotated[FindGoal | AllGoal | DecideGoal, Field(discriminator="kind")]


def _unknowns_schema(schema: dict[str, Any]) -> None:
    """`unknowns` as JSON Schema says it: names by `propertyNames`, sorts as the values (pydantic
    would write `patternProperties`, which lets any other key through with any value)."""
    unknowns = schema["properties"]["unknowns"]
    unknowns.pop("patternProperties", None)
    unknowns["propertyNames"] = {"pattern": NAME_PATTERN}
    unknowns["additionalProperties"] = {"type": "string", "enum": ["Int", "Real"]}


class PlainTask(_Closed):
    """A plain engine task: unknowns, constraints over them (claims) and what to find (`goal`;
    default: find every unknown). A task with text alone is refused unless the text is a claim
    to decide."""

    model_config = ConfigDict(json_schema_extra=_unknowns_schema)

    text: str = Field(max_length=MAX_TEXT_CHARS, description="The statement, for people and models.")
    unknowns: dict[Annotated[str, Field(pattern=NAME_PATTERN)], Literal["Int", "Real"]] = Field(
        default_factory=dict, max_length=MAX_UNKNOWNS, description='name -> "Int" or "Real".'
    )
    constraints: list[Annotated[str, Field(max_length=MAX_TEXT_CHARS)]] = Field(
        default_factory=list, max_length=MAX_CONSTRAINTS, description="Claims over the unknowns."
    )
    goal: Goal | None = Field(default=None, description="What the task asks (default: find every unknown).")
    require_claims: bool = True


def _field(spec: FieldSpec) -> tuple[Any, Any]:
    kind = _KINDS[spec.kind]
    if spec.required:
        return kind, Field(description=spec.help)
    return kind, Field(default=spec.default, description=spec.help)


@functools.cache
def domain_models() -> tuple[type[BaseModel], ...]:
    """One closed model per registered domain, named `<Domain>Task`, in registry order."""
    models = []
    for name in names():
        domain = get(name)
        fields = {"domain": (Literal[name], Field(description=f"The {name} domain."))}
        fields |= {field: _field(spec) for field, spec in domain.fields.items()}
        title = "".join(part.capitalize() for part in name.replace("-", "_").split("_")) + "Task"
        models.append(
            create_model(title, __base__=_Closed, __doc__=domain.summary, **fields)  # type: ignore[call-overload]
        )
    return tuple(models)


def _which(value: Any) -> str:
    """`domain` for a dict that names one, else `plain` (so errors speak of one kind of task)."""
    if isinstance(value, dict):
        return "domain" if "domain" in value else "plain"
    return "domain" if hasattr(value, "domain") else "plain"


@functools.cache
def task_model() -> Any:
    """The type of a task: a domain task (discriminated by `domain`) or a plain task."""
    domains = Annotated[functools.reduce(lambda a, b: a | b, domain_models()), Field(discriminator="domain")]
    return Annotated[
        Annotated[domains, Tag("domain")] | Annotated[PlainTask, Tag("plain")], Discriminator(_which)
    ]


def task_dict(task: BaseModel) -> dict[str, Any]:
    """The task dict the engine reads: what the client sent, no defaults filled in."""
    return task.model_dump(mode="json", exclude_unset=True)
