"""Names people use for zones, streets and categories: one resolver for the CLI, the API, CAP and spreadsheets.

A zone is found by its id (``grand-case``) or its display name (``Grand-Case``), a category by its id or
label (``Hôtel``), a street by its name (``Rue de Hollande``) — whatever the case, accents, hyphens,
apostrophes and spaces: ``grand case``, ``GRAND-CASE`` and ``Grand Case`` are one zone. A name that matches
nothing gets the closest known name ("vouliez-vous dire « Grand-Case » ?") computed with difflib.
"""

from __future__ import annotations

import difflib
import functools
import unicodedata
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from gateway.registry.errors import UnknownReferenceError

# Characters that separate words the same way a space does (Grand-Case, Quartier d'Orléans, snake_case ids).
_SEPARATORS = str.maketrans({"-": " ", "_": " ", "'": " ", "’": " ", "‘": " ", ".": " ", "/": " "})
# How close a typed name must be to a known one to be suggested (difflib's ratio, 0..1).
SUGGESTION_CUTOFF = 0.75
K = TypeVar("K", bound=Hashable)


@functools.lru_cache(maxsize=4096)  # a spreadsheet repeats a few dozen zone and category names
def fold(text: str) -> str:
    """``text`` reduced to what tells names apart: lower case, no accents, one space between words."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_SEPARATORS))
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(bare.casefold().split())


@dataclass(frozen=True, slots=True)
class NameTable(Generic[K]):
    """One reference list: folded id or name → the ids it names, and the display name of each id.

    A street name may exist in several zones, so a name names a tuple of ids.
    """

    kind: str  # "zone", "catégorie", "rue": used in messages
    display: Mapping[K, str]  # id → display name
    by_fold: dict[str, tuple[K, ...]] = field(default_factory=dict)
    exact: dict[str, tuple[K, ...]] = field(default_factory=dict)  # as stored: a spreadsheet's usual spelling

    @classmethod
    def build(cls, kind: str, display: Mapping[K, str], *, ids_are_names: bool = True) -> NameTable[K]:
        """A table where each id is found by its display name and (``ids_are_names``) by the id itself."""
        table = cls(kind, dict(display))
        for key, name in display.items():
            spellings = {fold(name)} | ({fold(str(key))} if ids_are_names else set())
            for spelling in spellings:
                known = table.by_fold.get(spelling, ())
                if key not in known:
                    table.by_fold[spelling] = (*known, key)
        for spelling, keys in table.by_fold.items():
            for key in keys:
                for raw in (table.display[key], str(key) if ids_are_names else None):
                    if raw is not None and fold(raw) == spelling:
                        table.exact[raw] = keys
        return table

    def find(self, text: str) -> tuple[K, ...]:
        """The ids ``text`` names (empty when none)."""
        found = self.exact.get(text)
        return found if found is not None else self.by_fold.get(fold(text), ())

    def resolve(self, text: str) -> tuple[K, ...]:
        """The ids ``text`` names, or :class:`UnknownReferenceError` with the closest name and the valid names."""
        found = self.find(text)
        if found:
            return found
        raise UnknownReferenceError(self.kind, text, self.names(), suggestion=self.suggest(text))

    def names(self) -> list[str]:
        return sorted(set(self.display.values()), key=fold)

    def suggest(self, text: str) -> str | None:
        """The display name closest to ``text``, when one is close enough to be a typo."""
        folded = fold(text)
        if not folded:
            return None
        close = difflib.get_close_matches(folded, list(self.by_fold), n=1, cutoff=SUGGESTION_CUTOFF)
        if not close:
            return None
        return self.display[self.by_fold[close[0]][0]]


def resolve_one(table: NameTable[K], text: str) -> K:
    """The single id ``text`` names in ``table`` (zones and categories: names are unique)."""
    return table.resolve(text)[0]


def resolve_many(table: NameTable[K], values: Iterable[str]) -> list[K]:
    """Every id the ``values`` name, in order, without repeats."""
    result: list[K] = []
    for value in values:
        for key in table.resolve(value):
            if key not in result:
                result.append(key)
    return result
