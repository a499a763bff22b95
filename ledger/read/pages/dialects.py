"""What the page statements write differently on SQLite and PostgreSQL: JSON built in the
database, timestamps as text, and the driver's parameter markers. Each dialect is a row of
templates (``str.format``'s: a literal brace in one is written doubled); the statements are
written once over them."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["POSTGRES", "SQLITE", "PageDialect"]


@dataclass(frozen=True)
class PageDialect:
    name: str
    object_function: str  # builds a JSON object from name, value pairs
    marker: str  # the driver's marker of a numbered parameter: "$" or "?"
    # A JSON array (as text) of ``{element}`` over a subquery's rows; [] when none.
    array_template: str
    # A JSON array of ``{element}`` over ``SELECT ... {rest}``, as a value inside another
    # JSON object (SQLite keeps a value's JSON-ness only through ``json()``).
    nested_array_template: str
    # A UTC timestamp ``{column}`` as ISO text without an offset ('2024-05-01 12:00:00.5').
    instant_template: str

    @property
    def parameter(self) -> str:
        """The marker of the first parameter."""
        return self.numbered(1)

    def numbered(self, number: int) -> str:
        return f"{self.marker}{number}"

    def nested_array(self, element: str, rest: str) -> str:
        return self.nested_array_template.format(element=element, rest=rest)

    def array(self, element: str) -> str:
        return self.array_template.format(element=element)

    def instant(self, column: str) -> str:
        return self.instant_template.format(column=column)

    def obj(self, *pairs: str) -> str:
        """``json_build_object('a', x, ...)`` / ``json_object('a', x, ...)`` of name=value."""
        items = []
        for pair in pairs:
            name, _, value = pair.partition("=")
            items.append(f"'{name}', {value}")
        return f"{self.object_function}({', '.join(items)})"


POSTGRES = PageDialect(
    name="postgresql",
    object_function="json_build_object",
    marker="$",
    array_template="coalesce(json_agg({element}), '[]')::text",
    nested_array_template="(SELECT coalesce(json_agg({element}), '[]'::json) {rest})",
    instant_template="""to_char({column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US')""",
)
SQLITE = PageDialect(
    name="sqlite",
    object_function="json_object",
    marker="?",
    array_template="json_group_array({element})",
    nested_array_template="json((SELECT json_group_array({element}) {rest}))",
    instant_template="{column}",  # SQLite keeps the UTC wall time as such text already
)
