"""Fast reads and writes of voicemap's `Doc._` values, for the components' hot path.

Every `doc._.name` builds a new Underscore object and resolves the name in Python (about
2 µs); the tag components and `doc_to_tags` make some forty such reads and writes per
statement, a tenth of voicemap's own tagging time. spaCy keeps a plain Doc extension's
value in `doc.user_data` under `("._.", name, None, None)`; `get` and `put` use that key
directly, for extensions with an immutable default and no getter, setter or method, and only if a
check at import confirms this spaCy stores them that way. Otherwise they go through
`doc._`, so the values are the same either way: `doc._.name` still reads what `put` wrote.
"""

from __future__ import annotations

from typing import Any

from spacy.tokens import Doc
from spacy.vocab import Vocab

_PROBE = "voicemap_extension_probe"


def _user_data_layout_holds() -> bool:
    """Does `doc._.x = v` land in `user_data[("._.", "x", None, None)]`, and the reverse?"""
    if not Doc.has_extension(_PROBE):
        Doc.set_extension(_PROBE, default=None)
    try:
        doc = Doc(Vocab(), words=["probe"])
        doc._.set(_PROBE, "written")
        stored = doc.user_data.get(("._.", _PROBE, None, None))
        doc.user_data[("._.", _PROBE, None, None)] = "read"
        return stored == "written" and doc._.get(_PROBE) == "read"
    except Exception:  # any change in spaCy's internals: use the public API
        return False


_DIRECT = _user_data_layout_holds()
_defaults: dict[str, tuple[bool, Any]] = {}  # name -> (plain, default)


def _plain(name: str) -> tuple[bool, Any]:
    found = _defaults.get(name)
    if found is None:
        default, method, getter, setter = Doc.get_extension(name)
        plain = method is None and getter is None and setter is None and not isinstance(default, (dict, list, set))
        found = _defaults[name] = (_DIRECT and plain, default)
    return found


def get(doc: Doc, name: str) -> Any:
    """`doc._.<name>`."""
    plain, default = _defaults.get(name) or _plain(name)
    if plain:
        return doc.user_data.get(("._.", name, None, None), default)
    return doc._.get(name)


def put(doc: Doc, name: str, value: Any) -> None:
    """`doc._.<name> = value`."""
    if (_defaults.get(name) or _plain(name))[0]:
        doc.user_data[("._.", name, None, None)] = value
    else:
        doc._.set(name, value)
