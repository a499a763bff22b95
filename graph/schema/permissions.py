"""Who may do what, with Strawberry's permission classes.

On a mutation whose result is a union, a refusal is the typed ``NotAllowed`` member of
that union, returned before the resolver runs, so nothing is changed.
"""

from __future__ import annotations

from typing import Any, ClassVar

from strawberry.extensions.field_extension import FieldExtension
from strawberry.permission import BasePermission, PermissionExtension
from strawberry.types import Info

from graph.schema.context import Context
from graph.schema.errors import NotAllowed
from ledger.domain.wording import with_article

__all__ = ["Auditors", "Editors", "Raters", "RatersAndEditors", "Subscribers", "only"]


class _Role(BasePermission):
    roles: ClassVar[frozenset[str]]
    message = "this needs a token of another role"

    def has_permission(self, source: Any, info: Info[Context, None], **kwargs: Any) -> bool:
        principal = info.context.principal
        return principal is not None and principal.role in self.roles

    def on_unauthorized(self) -> NotAllowed:  # type: ignore[override]
        roles = " or ".join(sorted(self.roles))
        return NotAllowed(message=f"only {with_article(roles)} may do this", code="NOT_ALLOWED")


class Editors(_Role):
    roles = frozenset({"editor"})


class Raters(_Role):
    roles = frozenset({"rater"})


class RatersAndEditors(_Role):
    roles = frozenset({"rater", "editor"})


class Subscribers(_Role):
    roles = frozenset({"subscriber"})


class Auditors(_Role):
    roles = frozenset({"auditor"})


def only(permission: type[_Role]) -> list[FieldExtension]:
    """Field extensions admitting only ``permission``'s roles (no schema directive)."""
    return [PermissionExtension(permissions=[permission()], use_directives=False)]
