"""What a document may ask for: the validation rules that bound it, and its cost.

Strawberry's limiters (depth, aliases) and graphql-core's introspection rule do the
counting; here they are given stable ``extensions.code``s, and the limits neither library
has (directives, cost, the length of integer literals) are added. Before them, what they
cannot walk is refused as the specification refuses it (a spread of an unknown fragment),
and so is a document whose operation is ambiguous. All of them run before any resolver.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
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
    GraphQLList,
    GraphQLNamedType,
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
    VariableNode,
    get_named_type,
    get_nullable_type,
    is_abstract_type,
    is_object_type,
    validate,
)
from graphql.validation import KnownFragmentNamesRule, NoSchemaIntrospectionCustomRule
from strawberry.extensions import ValidationCache, max_aliases, query_depth_limiter
from strawberry.types.execution import ExecutionContext

from graph.settings import Limits

__all__ = [
    "MAX_NUMBER_DIGITS",
    "CostModel",
    "LimitsFirst",
    "count_tokens",
    "operation_cost",
    "validation_rules",
]

# No number the schema takes is longer (an Int has at most 10 digits); Python refuses to read
# one of more than 4,300 digits at all, so a longer literal must not reach ``int``.
MAX_NUMBER_DIGITS = 100

# Lists that take no page size (topics, scores, comments) are counted at this length.
UNPAGED_LIST_LENGTH = 10

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


class CostModel:
    """An upper bound of the objects an operation can return.

    Every object field costs 1, times the length of every list it sits in: ``first`` (as
    written, from the variables, else the argument's default, at most the field's largest
    page) for paged fields; 1 for the list inside a page (a connection's ``edges``, whose
    length is its field's ``first``); ``UNPAGED_LIST_LENGTH`` for other lists. Scalars are
    free (the token limit bounds them), and so is introspection, which production turns off.
    """

    def __init__(
        self,
        schema: GraphQLSchema,
        fragments: Mapping[str, FragmentDefinitionNode],
        variables: Mapping[str, Any],
        *,
        default_page: int,
        max_page: int,
        page_bounds: Mapping[str, int],
    ) -> None:
        self.schema = schema
        self.fragments = fragments
        self.variables = variables
        self.default_page = default_page
        self.max_page = max_page
        self.page_bounds = page_bounds

    def selections(
        self,
        parent: GraphQLNamedType,
        selection_set: SelectionSetNode,
        spreading: frozenset[str],
        *,
        in_page: bool = False,
    ) -> int:
        total = 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                total += self.field(parent, selection, spreading, in_page)
                continue
            inner_spreading = spreading
            if isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                named = self.schema.get_type(condition.name.value) if condition else parent
                fragment_set = selection.selection_set
            else:
                assert isinstance(selection, FragmentSpreadNode)
                name = selection.name.value
                fragment = self.fragments.get(name)
                # A cycle is refused by validation; counting it once is enough here.
                if fragment is None or name in spreading:
                    continue
                inner_spreading = spreading | {name}
                named = self.schema.get_type(fragment.type_condition.name.value)
                fragment_set = fragment.selection_set
            if named is not None:
                total += self.selections(named, fragment_set, inner_spreading, in_page=in_page)
        return total

    def field(
        self, parent: GraphQLNamedType, node: FieldNode, spreading: frozenset[str], in_page: bool
    ) -> int:
        if node.name.value.startswith("__") or node.selection_set is None:
            return 0
        if not (is_object_type(parent) or is_abstract_type(parent)):
            return 0
        definition = getattr(parent, "fields", {}).get(node.name.value)
        if definition is None:
            return 0  # an unknown field: validation reports it
        paged = "first" in definition.args
        if paged:
            bound = self.page_bounds.get(node.name.value, self.max_page)
            length = self.page_size(node, definition.args["first"].default_value, bound)
        elif isinstance(get_nullable_type(definition.type), GraphQLList) and not in_page:
            length = UNPAGED_LIST_LENGTH
        else:
            length = 1
        named = get_named_type(definition.type)
        # A paged field that is itself the list holds no further page inside it.
        holds_page = paged and not isinstance(get_nullable_type(definition.type), GraphQLList)
        inner = self.selections(named, node.selection_set, spreading, in_page=holds_page)
        return length * (1 + inner)

    def page_size(self, node: FieldNode, default: Any, bound: int) -> int:
        value: Any = default if isinstance(default, int) else self.default_page
        for argument in node.arguments or ():
            if argument.name.value != "first":
                continue
            if isinstance(argument.value, IntValueNode):
                value = int(argument.value.value)
            elif isinstance(argument.value, VariableNode):
                given = self.variables.get(argument.value.name.value)
                value = given if isinstance(given, int) else bound
        # A page beyond the largest is refused (or cut) by its resolver, never served.
        return max(0, min(int(value), bound))


def operation_cost(
    schema: GraphQLSchema,
    operation: OperationDefinitionNode,
    fragments: Mapping[str, FragmentDefinitionNode],
    variables: Mapping[str, Any],
    *,
    default_page: int,
    max_page: int,
    page_bounds: Mapping[str, int],
) -> int:
    root = schema.get_root_type(operation.operation)
    if root is None:
        return 0
    # A variable left out takes the default the operation declares for it.
    declared = {
        definition.variable.name.value: int(definition.default_value.value)
        for definition in operation.variable_definitions or ()
        if isinstance(definition.default_value, IntValueNode)
    }
    model = CostModel(
        schema,
        fragments,
        {**declared, **variables},
        default_page=default_page,
        max_page=max_page,
        page_bounds=page_bounds,
    )
    return model.selections(root, operation.selection_set, frozenset())
