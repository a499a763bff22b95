"""What an operation may cost: an upper bound of the objects it can return.

Checked when execution would start (it needs the variables), by ``guards.Admission``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLList,
    GraphQLNamedType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    VariableNode,
    get_named_type,
    get_nullable_type,
    is_abstract_type,
    is_object_type,
)

__all__ = ["UNPAGED_LIST_LENGTH", "CostModel", "operation_cost"]

# Lists that take no page size (topics, scores, comments) are counted at this length.
UNPAGED_LIST_LENGTH = 10


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
