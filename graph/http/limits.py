"""What a document may ask for: the validation rules that bound it (its cost is ``cost``).

Strawberry's limiters (depth, aliases) and graphql-core's introspection rule do the
counting; here they are given stable ``extensions.code``s, and the limits neither library
has (directives, the expanded size, the length of integer literals) are added. Before
them, what they cannot walk is refused as the specification refuses it (a spread of an
unknown fragment), and so is a document whose operation is ambiguous. All of them run
before any resolver.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache
from typing import Any, cast

from graphql import (
    ArgumentNode,
    ASTValidationRule,
    DirectiveNode,
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    Node,
    ObjectFieldNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValidationContext,
    ValidationRule,
    VariableDefinitionNode,
    validate,
)
from graphql.validation import KnownFragmentNamesRule, NoSchemaIntrospectionCustomRule
from strawberry.extensions import ValidationCache, max_aliases, query_depth_limiter
from strawberry.types.execution import ExecutionContext

from graph.settings import Limits

__all__ = [
    "MAX_NUMBER_DIGITS",
    "LimitsFirst",
    "count_tokens",
    "validation_rules",
]

# No number the schema takes is longer (an Int has at most 10 digits); Python refuses to read
# one of more than 4,300 digits at all, so a longer literal must not reach ``int``.
MAX_NUMBER_DIGITS = 100

# GraphQL's lexical tokens, and what is no token (comments); ignored characters are skipped.
_LEXEME = re.compile(
    r'"""(?:\\"""|[\s\S])*?"""'  # block string
    r'|"(?:[^"\\\n\r]|\\.)*"'  # string
    r"|(?P<comment>#[^\n\r]*)"
    r"|\.\.\.|[!$&()\[\]{}:=@|]"  # punctuators
    r"|-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?"  # numbers
    r"|[_A-Za-z][_0-9A-Za-z]*"  # names
)


def count_tokens(document: str) -> int:
    """At most the number of tokens graphql-core's lexer finds, in a fraction of its time.

    A document over the token limit by this count is over it by the parser's too, so it
    can be refused without parsing; one under it goes on to the parser's exact count.
    """
    return sum(1 for match in _LEXEME.finditer(document) if match.lastgroup is None)


class _CodingContext:
    """A validation context whose errors carry a code; everything else is the real context."""

    def __init__(self, context: ValidationContext, code: str) -> None:
        self._context = context
        self._code = code

    def report_error(self, error: GraphQLError) -> None:
        error.extensions = {**(error.extensions or {}), "code": self._code}
        self._context.report_error(error)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._context, name)


def coded(rule: type[ASTValidationRule], code: str) -> type[ASTValidationRule]:
    """``rule`` with ``code`` on every error it reports (in ``__init__`` or while visiting)."""

    class Coded(rule):  # type: ignore[valid-type,misc]
        def __init__(self, context: ValidationContext) -> None:
            super().__init__(cast(ValidationContext, _CodingContext(context, code)))

    Coded.__name__ = f"{rule.__name__}Coded"
    return Coded


def directive_limit(max_directives: int) -> type[ASTValidationRule]:
    class DirectiveLimit(ValidationRule):
        """At most ``max_directives`` directives in the whole document (graphql-armor's rule)."""

        def __init__(self, context: ValidationContext) -> None:
            super().__init__(context)
            self.count = 0

        def enter_directive(self, node: DirectiveNode, *_: object) -> None:
            self.count += 1
            if self.count == max_directives + 1:
                self.report_error(
                    GraphQLError(
                        f"The document has more than {max_directives} directives.",
                        node,
                        extensions={"code": "DIRECTIVE_LIMIT_EXCEEDED", "limit": max_directives},
                    )
                )

    return DirectiveLimit


def _named_by(ancestors: list[Any]) -> str:
    """What an integer literal is given for: the argument, input field or variable."""
    for ancestor in reversed(ancestors):
        if isinstance(ancestor, ArgumentNode | ObjectFieldNode):
            return str(ancestor.name.value)
        if isinstance(ancestor, VariableDefinitionNode):
            return f"${ancestor.variable.name.value}"
    return "value"


class NumberLength(ValidationRule):
    """An integer literal of more than ``MAX_NUMBER_DIGITS`` digits, before anything reads it."""

    def enter_int_value(
        self, node: IntValueNode, _key: object, parent: object, _path: object, ancestors: Any
    ) -> None:
        digits = len(node.value.lstrip("-"))
        if digits <= MAX_NUMBER_DIGITS:
            return
        argument = _named_by([a for a in [*ancestors, parent] if isinstance(a, Node)])
        self.report_error(
            GraphQLError(
                f"`{argument}` is an integer of {digits} digits; none this API takes has more "
                f"than {MAX_NUMBER_DIGITS}.",
                node,
                extensions={"code": "BAD_USER_INPUT", "argument": argument},
            )
        )


def validation_rules(limits: Limits, *, production: bool) -> tuple[type[ASTValidationRule], ...]:
    """Built once per schema: the validation cache is keyed by the rule classes."""
    rules = [
        coded(
            query_depth_limiter.create_validator(limits.max_depth, None, None),
            "DEPTH_LIMIT_EXCEEDED",
        ),
        coded(max_aliases.create_validator(limits.max_aliases), "ALIAS_LIMIT_EXCEEDED"),
        directive_limit(limits.max_directives),
        NumberLength,
    ]
    if production:
        rules.append(coded(NoSchemaIntrospectionCustomRule, "INTROSPECTION_DISABLED"))
    return tuple(rules)


def expanded_size(document: DocumentNode) -> int:
    """How many selections the document's operations hold once every fragment is spread.

    Computed with each fragment's size counted once (a fragment spread twice in each of a
    chain of fragments is tiny as text and exponential when expanded), and cycles counted
    as nothing (validation refuses them). Rules that walk the expanded document (depth,
    aliases, cost) run only on documents whose expansion is bounded.
    """
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    sizes: dict[str, int] = {}
    visiting: set[str] = set()

    def size_of(selection_set: SelectionSetNode | None) -> int:
        total = 0
        for selection in selection_set.selections if selection_set else ():
            if isinstance(selection, FragmentSpreadNode):
                total += fragment_size(selection.name.value)
            elif isinstance(selection, InlineFragmentNode):
                total += size_of(selection.selection_set)
            elif isinstance(selection, FieldNode):
                total += 1 + size_of(selection.selection_set)
        return total

    def fragment_size(name: str) -> int:
        if name in sizes:
            return sizes[name]
        fragment = fragments.get(name)
        if fragment is None or name in visiting:
            return 0
        visiting.add(name)
        sizes[name] = size_of(fragment.selection_set)
        visiting.discard(name)
        return sizes[name]

    return sum(
        size_of(d.selection_set)
        for d in document.definitions
        if isinstance(d, OperationDefinitionNode)
    )


@lru_cache(maxsize=512)
def _limit_errors(
    schema: GraphQLSchema,
    document: DocumentNode,
    rules: tuple[type[ASTValidationRule], ...],
    max_expanded: int,
) -> list[GraphQLError]:
    # The limit rules follow fragment spreads: each must name a fragment that is there.
    unknown_fragments = validate(schema, document, [KnownFragmentNamesRule])
    if unknown_fragments:
        return unknown_fragments
    size = expanded_size(document)
    if size > max_expanded:
        return [
            GraphQLError(
                f"The document expands to {size} selections once its fragments are spread; "
                f"the limit is {max_expanded}.",
                extensions={"code": "DOCUMENT_TOO_COMPLEX", "limit": max_expanded},
            )
        ]
    return validate(schema, document, rules)


def _ambiguity_errors(execution_context: ExecutionContext) -> list[GraphQLError]:
    """Several operations and no ``operationName``: the specification asks for an error.

    (Strawberry would run the first one.) The name the request gave is kept apart from
    the one Strawberry falls back to.
    """
    document = execution_context.graphql_document
    assert document is not None
    given_name = getattr(execution_context, "_provided_operation_name", None)
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    # An anonymous one among several is the specification's own validation error.
    if given_name is not None or len(operations) < 2 or any(op.name is None for op in operations):
        return []
    return [
        GraphQLError(
            f"The document has {len(operations)} operations: name the one to run in "
            "`operationName`.",
            extensions={"code": "OPERATION_RESOLUTION_FAILURE"},
        )
    ]


class LimitsFirst(ValidationCache):
    """The limit rules alone first, then (cached) the rules of the specification.

    Run together, one pass would give a document over a limit to every rule, and the rules
    that compare fields pairwise cost far more than the limits on a wide or aliased one.
    """

    def __init__(
        self, rules: tuple[type[ASTValidationRule], ...], max_expanded: int, maxsize: int
    ) -> None:
        super().__init__(maxsize=maxsize)
        self.rules = rules
        self.max_expanded = max_expanded

    def on_validate(self) -> Iterator[None]:
        execution_context = self.execution_context
        document = execution_context.graphql_document
        assert document is not None
        errors = _ambiguity_errors(execution_context) or _limit_errors(
            execution_context.schema._schema, document, self.rules, self.max_expanded
        )
        if errors:
            execution_context.pre_execution_errors = errors
            yield
            return
        yield from super().on_validate()
