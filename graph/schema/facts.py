"""What a query read of the ledger, recorded while it runs, so its answer can be kept.

An answer may be served again only while nothing it was computed from has changed. The
schema records here the articles whose data it read; anything else it read (a list, a
search, counts over the catalogue, the vocabulary, the raters) makes its dependency the
whole ledger. Safe by default: every read through the request's ``Reader`` counts as
reading the whole ledger unless it is one of the article loaders, which name their
articles (``RecordingReader.run_for``), and an answer whose root fields are not known to
the cache (``CACHEABLE_ROOT_FIELDS``) is never kept.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterable, Sequence
from typing import TypeVar

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
)
from strawberry.extensions import SchemaExtension
from strawberry.types.graphql import OperationType

from ledger.read.changes import LedgerChanges
from ledger.read.reader import Database, Instead, Read, Reader

__all__ = ["CACHEABLE_ROOT_FIELDS", "ReadFacts", "RecordFacts", "RecordingReader"]

T = TypeVar("T")

# Root fields whose answers depend only on the ledger's events and the caller's role (``me``
# also on who the caller is, which it records). Everything else (the audit fields,
# ``verifyLedger`` which checks the database itself, introspection) is answered afresh.
CACHEABLE_ROOT_FIELDS = frozenset(
    {
        "__typename",
        "article",
        "articles",
        "node",
        "topics",
        "disciplines",
        "studyTypes",
        "ratingScales",
        "me",
        "hiddenComments",
    }
)


class ReadFacts:
    """The ledger facts one request's answer was computed from."""

    def __init__(self) -> None:
        self._articles: set[str] = set()
        self.whole_ledger = False
        self.personal = False  # the answer depends on who asks, not only on their role
        self._admitted = False  # a query of known root fields was executed
        self._wanted = False  # the view will keep the answer if it may
        # Where the ledger stood before the answer's first read (so an event landing while
        # it runs makes the answer count as changed); None: nothing was read, and an answer
        # without a position is not kept.
        self.position: int | None = None
        self._refused = False

    def read_articles(self, ids: Iterable[str]) -> None:
        self._articles.update(ids)

    def read_everything(self) -> None:
        self.whole_ledger = True

    def read_identity(self) -> None:
        self.personal = True

    def refuse_caching(self) -> None:
        self._refused = True

    def want(self, position: int | None) -> None:
        """The answer is one the view may keep; ``position``, if the view already learnt
        where the ledger stands for this request, is kept as the answer's."""
        self._wanted = True
        self.position = position

    def admit(self) -> None:
        self._admitted = True

    @property
    def may_be_kept(self) -> bool:
        """Not refused yet: what it reads is still worth recording."""
        return self._wanted and not self._refused

    @property
    def cacheable(self) -> bool:
        return self.may_be_kept and self._admitted and self.position is not None

    @property
    def articles(self) -> frozenset[str] | None:
        """The articles read, or None when the answer read the whole ledger."""
        return None if self.whole_ledger else frozenset(self._articles)


class RecordingReader(Reader):
    """The request's reader, recording what it is asked to read."""

    def __init__(
        self,
        database: Database,
        facts: ReadFacts,
        changes: LedgerChanges,
        *,
        instead: Instead | None = None,
    ) -> None:
        super().__init__(database, instead=instead)
        self.facts = facts
        self._changes = changes
        self._learning: asyncio.Future[int] | None = None

    async def before_reading(self) -> None:
        """Learns where the ledger stands before the first read of a cacheable answer: an
        event landing after this makes the answer count as changed (it is kept at this
        position, older than or equal to its snapshot's). Reads outside this reader call
        it first too."""
        facts = self.facts
        if facts.position is not None or not facts.may_be_kept:
            return
        if self._learning is None:  # concurrent first reads share one look
            self._learning = asyncio.ensure_future(self._changes.current())
        position = await asyncio.shield(self._learning)
        if facts.position is None:
            facts.position = position

    async def run(self, work: Read[T]) -> T:
        # Not known to be one article's data: count it as reading the whole ledger.
        self.facts.read_everything()
        await self.before_reading()
        return await super().run(work)

    async def run_for(self, article_ids: Sequence[str], work: Read[T]) -> T:
        """A read of these articles' own data (data only their streams' events change)."""
        self.facts.read_articles(article_ids)
        await self.before_reading()
        return await super().run(work)


class RecordFacts(SchemaExtension):
    """Refuses caching for what is not a query of known root fields (a mutation is refused
    before it reads, so its reads record nothing)."""

    async def on_execute(self) -> AsyncIterator[None]:
        context = self.execution_context.context
        facts = getattr(context, "facts", None)
        if not isinstance(facts, ReadFacts):
            yield
            return
        if self.execution_context.operation_type is not OperationType.QUERY:
            facts.refuse_caching()
        yield
        document = self.execution_context.graphql_document
        operation = _operation(document, self.execution_context.operation_name)
        if (
            self.execution_context.operation_type is not OperationType.QUERY
            or document is None
            or operation is None
            or facts.position is None
            or not _root_fields(document, operation.selection_set) <= CACHEABLE_ROOT_FIELDS
        ):
            facts.refuse_caching()
        else:
            facts.admit()


def _operation(document: DocumentNode | None, name: str | None) -> OperationDefinitionNode | None:
    if document is None:
        return None
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if name is None:
        return operations[0] if len(operations) == 1 else None
    return next((o for o in operations if o.name is not None and o.name.value == name), None)


def _root_fields(document: DocumentNode, selections: SelectionSetNode) -> set[str]:
    """Every field name at the operation's root, through fragments (whatever their
    directives: a skipped field counts too)."""
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    names: set[str] = set()
    pending = [selections]
    seen: set[str] = set()
    while pending:
        for selection in pending.pop().selections:
            if isinstance(selection, FieldNode):
                names.add(selection.name.value)
            elif isinstance(selection, InlineFragmentNode):
                pending.append(selection.selection_set)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                if name not in seen and name in fragments:
                    seen.add(name)
                    pending.append(fragments[name].selection_set)
    return names
