"""kgen.record behaves as the standard library's dataclasses for what kgen uses."""

from __future__ import annotations

import copy
import dataclasses
import pickle
from typing import Any, ClassVar

import pytest

from kgen import record

MAKERS = {"dataclasses": dataclasses, "record": record}


def point_class(maker: Any) -> Any:
    @maker.dataclass(frozen=True, order=True)
    class Point:
        x: int
        y: int = 0
        tags: tuple[str, ...] = ()
        notes: list[str] = maker.field(default_factory=list, compare=False)
        secret: str = maker.field(default="s", repr=False)
        kind: ClassVar[str] = "point"

    return Point


def mutable_class(maker: Any) -> Any:
    @maker.dataclass
    class Box:
        items: list[int] = maker.field(default_factory=list)

    return Box


def behaviour(maker: Any) -> dict[str, Any]:
    """What a user of the class sees: its values, repr, comparisons, hashes and errors."""
    point = point_class(maker)
    a, b = point(1), point(1, 2, ("t",), ["n"], "k")
    seen: dict[str, Any] = {
        "repr": [repr(a), repr(b)],
        "values": [(p.x, p.y, p.tags, p.notes, p.secret) for p in (a, b)],
        "eq": [a == point(1), a == b, a == point(1, notes=["other"]), a == (1, 0)],
        "hash equal": hash(a) == hash(point(1, notes=["x"])),
        "order": [a < b, b < a, a <= point(1), sorted([b, a]) == [a, b]],
        "match": point.__match_args__,
        "class var": point.kind,
        "replaced": repr(maker.replace(b, y=5, secret="z")),
        "factory fresh": point(1).notes is not point(1).notes,
        "copied": copy.deepcopy(b) == b,
        "no class default": not hasattr(point, "notes"),
    }
    for name, act in {
        "assign": lambda: setattr(a, "x", 2),
        "new attribute": lambda: setattr(a, "z", 2),
        "delete": lambda: delattr(a, "x"),
        "missing": point,
        "unexpected": lambda: point(1, z=2),
        "replace unknown": lambda: maker.replace(a, z=2),
        "compare other type": lambda: a < (1,),
    }.items():
        try:
            act()
            seen[name] = "no error"
        except (AttributeError, TypeError) as error:
            seen[name] = (isinstance(error, AttributeError), str(error))
    box = mutable_class(maker)
    filled = box([1])
    filled.items = [2]
    seen["mutable"] = [repr(filled), box() == box(), box.__hash__ is None]
    return seen


def test_record_behaves_as_dataclasses() -> None:
    ours, theirs = behaviour(record), behaviour(dataclasses)
    assert ours == theirs


@record.dataclass(frozen=True)
class Pickled:
    name: str
    items: tuple[int, ...] = ()


def test_a_value_survives_pickling() -> None:
    """The render pool and the cache pickle values."""
    value = Pickled("a", (1, 2))
    again = pickle.loads(pickle.dumps(value))
    assert again == value
    assert again is not value
    with pytest.raises(record.FrozenInstanceError):
        again.name = "b"


def test_a_method_the_class_defines_is_kept() -> None:
    @record.dataclass(frozen=True)
    class Named:
        name: str

        def __repr__(self) -> str:
            return f"<{self.name}>"

        def __eq__(self, other: object) -> bool:
            return self is other

        def __hash__(self) -> int:
            return 7

    one = Named("a")
    assert repr(one) == "<a>"
    assert one != Named("a")
    assert hash(one) == 7


def test_a_class_with_eq_alone_is_hashed_by_its_fields_when_frozen() -> None:
    for maker in MAKERS.values():

        @maker.dataclass(frozen=True)
        class Keyed:  # noqa: PLW1641 -- the decorator adds it: what this tests
            key: str

            def __eq__(self, other: object) -> bool:
                return isinstance(other, Keyed) and other.key.lower() == self.key.lower()

        keyed: Any = Keyed
        assert hash(keyed("a")) == hash(keyed("a")), maker
        assert keyed("a") == keyed("A"), maker


def test_a_required_field_after_a_default_is_refused() -> None:
    for maker in MAKERS.values():
        with pytest.raises(TypeError, match="non-default argument 'b' follows default argument"):

            @maker.dataclass
            class Wrong:
                a: int = 0
                b: int


def test_kgen_does_not_import_dataclasses() -> None:
    """The point of kgen.record: a render defines its classes without the module."""
    import subprocess
    import sys

    found = subprocess.run(
        [sys.executable, "-c", "import sys, kgen.api; print('dataclasses' in sys.modules)"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert found.stdout.strip() == "False"


def test_a_field_may_be_named_self() -> None:
    for maker in MAKERS.values():

        @maker.dataclass(frozen=True)
        class Odd:
            self: str
            other: int = 1

        made: Any = Odd
        assert repr(made(self="a")).endswith("Odd(self='a', other=1)"), maker


def test_classes_of_one_shape_share_compiled_code() -> None:
    """What makes defining classes cheap: one compiled __init__ per shape."""

    @record.dataclass(frozen=True)
    class One:
        a: int
        b: str = ""

    @record.dataclass
    class Two:
        c: list[int]
        d: int = 0

    one: Any = One
    two: Any = Two
    assert one.__init__.__code__.co_code == two.__init__.__code__.co_code
    assert one.__init__.__code__.co_varnames == ("self", "a", "b")
    assert two(d=2, c=[1]).d == 2
    assert one(1).b == ""
