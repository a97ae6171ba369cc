"""kgen's value objects: the part of :mod:`dataclasses` kgen uses, cheaper to define.

A cold ``kgen render`` defines about 35 of these classes before it reads a blueprint.
:func:`dataclasses.dataclass` compiles six functions from source text for each frozen
class (``__init__``, ``__repr__``, ``__eq__``, ``__hash__``, ``__setattr__``,
``__delattr__``), and importing it imports :mod:`inspect` with :mod:`ast` and :mod:`dis`:
together about 50 ms of a 250 ms run (benches/README.md, item 14). Here only ``__init__``
is compiled (construction is the one method on a hot path), once for all classes of one
shape; the others are shared functions reading the class's fields. The behaviour is
:func:`dataclasses.dataclass`'s for what kgen uses (``frozen``, ``order``,
``field(default=, default_factory=, repr=, compare=)``, ``replace``), and a type checker
reads it as a dataclass (PEP 681), so a module switches by its import line alone.
``tests/test_record.py`` holds it to the standard library's behaviour.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from functools import cache
from types import CodeType, FunctionType
from typing import Any, TypeVar, dataclass_transform, overload

_T = TypeVar("_T")
_MISSING: Any = object()

#: The fields of a class built here, in order (its bases' first), by name.
FIELDS = "__record_fields__"


class FrozenInstanceError(AttributeError):
    """Raised on assigning to a field of a frozen instance."""


class Field:
    """What :func:`field` says about one field."""

    __slots__ = ("compare", "default", "default_factory", "name", "repr")

    def __init__(
        self,
        default: Any = _MISSING,
        default_factory: Any = _MISSING,
        repr: bool = True,
        compare: bool = True,
    ) -> None:
        if default is not _MISSING and default_factory is not _MISSING:
            raise ValueError("cannot specify both default and default_factory")
        self.name = ""
        self.default = default
        self.default_factory = default_factory
        self.repr = repr
        self.compare = compare


@overload
def field(*, default: _T, repr: bool = True, compare: bool = True) -> _T: ...
@overload
def field(*, default_factory: Callable[[], _T], repr: bool = True, compare: bool = True) -> _T: ...
def field(
    *,
    default: Any = _MISSING,
    default_factory: Any = _MISSING,
    repr: bool = True,
    compare: bool = True,
) -> Any:
    """A field's default, or the function that makes one, and whether ``repr`` and the
    comparisons read it."""
    return Field(default, default_factory, repr, compare)


@overload
@dataclass_transform(field_specifiers=(field, Field))
def dataclass(cls: type[_T], /) -> type[_T]: ...
@overload
@dataclass_transform(field_specifiers=(field, Field))
def dataclass(*, frozen: bool = False, order: bool = False) -> Callable[[type[_T]], type[_T]]: ...
@dataclass_transform(field_specifiers=(field, Field))
def dataclass(cls: Any = None, /, *, frozen: bool = False, order: bool = False) -> Any:
    """Make ``cls`` a dataclass: an ``__init__`` of its annotated fields, ``repr``,
    equality, and with ``frozen`` assignment refused and a hash; with ``order`` the
    comparisons, field by field. A method the class defines itself is kept."""

    def wrap(cls: type[_T]) -> type[_T]:
        return _build(cls, frozen=frozen, order=order)

    return wrap if cls is None else wrap(cls)


def replace(obj: _T, /, **changes: Any) -> _T:
    """A copy of ``obj`` with ``changes`` made to its fields."""
    fields: dict[str, Field] = getattr(type(obj), FIELDS)
    for name in changes:
        if name not in fields:
            raise TypeError(
                f"{type(obj).__qualname__}.__init__() got an unexpected keyword argument {name!r}"
            )
    return type(obj)(
        **{name: changes[name] if name in changes else getattr(obj, name) for name in fields}
    )


def _fields_of(cls: type) -> dict[str, Field]:
    fields: dict[str, Field] = {}
    for base in reversed(cls.__mro__[1:]):
        fields.update(base.__dict__.get(FIELDS, {}))
    # inspect.get_annotations would import inspect, which this module is here to avoid.
    annotations = cls.__dict__.get("__annotations__", {})  # noqa: RUF063
    for name, annotation in annotations.items():
        if _is_class_var(annotation):
            continue
        value = cls.__dict__.get(name, _MISSING)
        spec = value if isinstance(value, Field) else Field(default=value)
        spec.name = name
        if isinstance(value, Field):
            if value.default is _MISSING:
                delattr(cls, name)  # as dataclasses does: no class attribute without a default
            else:
                setattr(cls, name, value.default)
        fields[name] = spec
    return fields


def _is_class_var(annotation: object) -> bool:
    text = annotation if isinstance(annotation, str) else repr(annotation)
    return text.startswith(("ClassVar", "typing.ClassVar"))


def _build(cls: type[_T], *, frozen: bool, order: bool) -> type[_T]:
    fields = _fields_of(cls)
    setattr(cls, FIELDS, fields)
    own = cls.__dict__
    compared = [f.name for f in fields.values() if f.compare]
    key = _key(compared)
    shown = tuple(f.name for f in fields.values() if f.repr)

    def add(name: str, function: Callable[..., Any]) -> None:
        if name not in own:
            function.__name__ = name
            function.__qualname__ = f"{cls.__qualname__}.{name}"
            setattr(cls, name, function)

    add("__init__", _init(cls, fields, frozen))
    add("__repr__", _repr(shown))
    # A class that defines __eq__ alone has a __hash__ of None in its body: not its own.
    own_hash = own.get("__hash__", _MISSING)
    explicit_hash = not (own_hash is _MISSING or (own_hash is None and "__eq__" in own))
    add("__eq__", _compare(key, operator.eq))
    if not explicit_hash:
        cls.__hash__ = _hash(key) if frozen else None  # type: ignore[method-assign,assignment]
    if order:
        for name, test in _ORDER.items():
            if name in own:
                raise TypeError(f"Cannot overwrite attribute {name} in class {cls.__name__}")
            add(name, _compare(key, test))
    if frozen:
        for name, function in _refusals(cls, frozenset(fields)).items():
            if name in own:
                raise TypeError(f"Cannot overwrite attribute {name} in class {cls.__name__}")
            add(name, function)
    if "__match_args__" not in own:
        setattr(cls, "__match_args__", tuple(fields))  # noqa: B010 -- not a name mypy allows
    return cls


def _init(cls: type, fields: dict[str, Field], frozen: bool) -> Callable[..., None]:
    """``__init__``, the one method on a hot path: compiled code, not a loop over fields.
    Classes with as many fields, and factories at the same places, share one compiled
    code (``_shape``); each gets it with its own parameter names and defaults, and its
    own globals naming its fields: kgen's 35 classes at start-up compile 12 codes, not 35."""
    names = list(fields)
    scope: dict[str, Any] = {
        "_MISSING": _MISSING,
        "_set": object.__setattr__ if frozen else setattr,
        **{f"_n{i}": name for i, name in enumerate(names)},
    }
    defaults: list[Any] = []
    factories = []
    for i, f in enumerate(fields.values()):
        if f.default_factory is not _MISSING:
            scope[f"_factory{i}"] = f.default_factory
            factories.append(i)
            defaults.append(_MISSING)
        elif f.default is not _MISSING:
            defaults.append(f.default)
        elif defaults:
            raise TypeError(f"non-default argument {f.name!r} follows default argument")
    first = "__record_self__" if "self" in fields else "self"
    code = _shape(len(names), tuple(factories)).replace(
        co_varnames=(first, *names),
        co_name="__init__",
        co_qualname=f"{cls.__qualname__}.__init__",
    )
    init: Callable[..., None] = FunctionType(code, scope, "__init__", tuple(defaults))
    return init


@cache
def _shape(count: int, factories: tuple[int, ...]) -> CodeType:
    """The code of an ``__init__`` of ``count`` fields, with a default factory for the
    ones at ``factories``: it sets field ``i`` (named by the global ``_n<i>``) to its
    argument, or to what ``_factory<i>()`` makes when none was given."""
    params = ", ".join(["self", *(f"_f{i}" for i in range(count))])
    body = [f"if _f{i} is _MISSING: _f{i} = _factory{i}()" for i in factories]
    body += [f"_set(self, _n{i}, _f{i})" for i in range(count)]
    source = f"def __init__({params}):\n" + "".join(f" {line}\n" for line in body or ["pass"])
    scope: dict[str, Any] = {}
    exec(compile(source, "<kgen.record>", "exec"), scope)
    code: CodeType = scope["__init__"].__code__
    return code


def _key(names: list[str]) -> Callable[[Any], tuple[Any, ...]]:
    if not names:
        return lambda _: ()
    many = operator.attrgetter(*names)
    if len(names) > 1:
        return many
    return lambda value: (many(value),)


def _repr(shown: tuple[str, ...]) -> Callable[[Any], str]:
    def represent(self: Any) -> str:
        inner = ", ".join(f"{name}={getattr(self, name)!r}" for name in shown)
        return f"{type(self).__qualname__}({inner})"

    return represent


def _compare(
    key: Callable[[Any], tuple[Any, ...]], test: Callable[[Any, Any], bool]
) -> Callable[[Any, Any], Any]:
    def compare(self: Any, other: Any) -> Any:
        if other.__class__ is self.__class__:
            return test(key(self), key(other))
        return NotImplemented

    return compare


def _hash(key: Callable[[Any], tuple[Any, ...]]) -> Callable[[Any], int]:
    def hashed(self: Any) -> int:
        return hash(key(self))

    hashed.__name__ = "__hash__"
    return hashed


_ORDER: dict[str, Callable[[Any, Any], bool]] = {
    "__lt__": operator.lt,
    "__le__": operator.le,
    "__gt__": operator.gt,
    "__ge__": operator.ge,
}


def _refusals(cls: type, names: frozenset[str]) -> dict[str, Callable[..., None]]:
    def assign(self: Any, name: str, value: Any) -> None:
        if type(self) is cls or name in names:
            raise FrozenInstanceError(f"cannot assign to field {name!r}")
        super(cls, self).__setattr__(name, value)  # type: ignore[arg-type]

    def delete(self: Any, name: str) -> None:
        if type(self) is cls or name in names:
            raise FrozenInstanceError(f"cannot delete field {name!r}")
        super(cls, self).__delattr__(name)  # type: ignore[arg-type]

    return {"__setattr__": assign, "__delattr__": delete}
