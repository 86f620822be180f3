"""Name registries for serialisable objects (MXNet's ``mx.registry``).

Initializers (``mx.init``) and metrics (``mx.metric``) are registered under their lower-cased class name
and any aliases, so ``create('xavier')``, ``create('acc')`` or a JSON string like
``'["normal", {"sigma": 0.5}]'`` builds an instance. Same behaviour as MXNet 1.9.1's
``python/mxnet/registry.py``, except that an unknown name raises :class:`RegistryError` (a ``ValueError``)
listing the registered names and the closest match instead of a bare ``AssertionError``.

>>> from hybridnet import registry
>>> class Base: pass
>>> register = registry.get_register_func(Base, 'thing')
>>> create = registry.get_create_func(Base, 'thing')
>>> @register
... class Box(Base):
...     def __init__(self, size=1):
...         self.size = size
>>> create('box', size=3).size
3
>>> create('["box", {"size": 5}]').size
5
"""
import difflib
import json
import warnings

from .errors import HybridNetError

__all__ = ["RegistryError", "get_registry", "get_register_func", "get_alias_func", "get_create_func"]

_REGISTRY = {}


class RegistryError(HybridNetError, ValueError):
    """An unknown name, or a value that cannot name a registered class."""


def get_registry(base_class):
    """A copy of the ``{name: class}`` registry of ``base_class``."""
    return _REGISTRY.setdefault(base_class, {}).copy()


def get_register_func(base_class, nickname):
    """A decorator ``register(klass, name=None)`` that registers a subclass of ``base_class`` under
    ``name`` (default: the class name), lower-cased. Re-registering a name warns and replaces it."""
    registry = _REGISTRY.setdefault(base_class, {})

    def register(klass, name=None):
        if not (isinstance(klass, type) and issubclass(klass, base_class)):
            raise RegistryError(f"Can only register subclass of {base_class.__name__}, got {klass!r}. "
                                f"Derive the class from {base_class.__module__}.{base_class.__name__}.")
        if name is None:
            name = klass.__name__
        name = name.lower()
        if name in registry and registry[name] is not klass:
            warnings.warn(f"New {nickname} {klass.__module__}.{klass.__name__} registered with name {name} is "
                          f"overriding existing {nickname} {registry[name].__module__}."
                          f"{registry[name].__name__}", UserWarning, stacklevel=2)
        registry[name] = klass
        return klass

    register.__doc__ = f"Register {nickname} to the {nickname} factory"
    return register


def get_alias_func(base_class, nickname):
    """A decorator factory ``alias(*names)`` registering a class under extra names."""
    register = get_register_func(base_class, nickname)

    def alias(*aliases):
        def reg(klass):
            for name in aliases:
                register(klass, name)
            return klass
        return reg
    return alias


def get_create_func(base_class, nickname):
    """A factory ``create(name_or_instance_or_json, *args, **kwargs)``.

    An instance of ``base_class`` is returned as is (no extra arguments allowed); a dict is used as
    keyword arguments (its ``nickname`` key names the class); a string starting with ``[`` is
    ``[name, kwargs]`` JSON and one starting with ``{`` is kwargs JSON; any other string is a registered
    name (case-insensitive).
    """
    registry = _REGISTRY.setdefault(base_class, {})

    def create(*args, **kwargs):
        if args:
            name, args = args[0], args[1:]
        else:
            if nickname not in kwargs:
                raise RegistryError(f"{nickname}.create() needs the {nickname} name, an instance, or a JSON "
                                    f"string as its first argument (or {nickname}=...).")
            name = kwargs.pop(nickname)

        if isinstance(name, base_class):
            if args or kwargs:
                raise RegistryError(f"{nickname} is already an instance. Additional arguments are invalid: "
                                    f"pass the arguments to its constructor instead.")
            return name
        if isinstance(name, dict):
            return create(**name)
        if not isinstance(name, str):
            raise RegistryError(f"{nickname} must be of string type (a registered name or JSON), or an "
                                f"instance of {base_class.__name__}; got {type(name).__name__} {name!r}.")
        if name.startswith("["):
            if args or kwargs:
                raise RegistryError(f"{nickname}.create(): a JSON string takes no extra arguments.")
            name, kwargs = json.loads(name)
            return create(name, **kwargs)
        if name.startswith("{"):
            if args or kwargs:
                raise RegistryError(f"{nickname}.create(): a JSON string takes no extra arguments.")
            return create(**json.loads(name))
        key = name.lower()
        if key not in registry:
            close = difflib.get_close_matches(key, registry.keys(), n=1)
            hint = f" Did you mean {close[0]!r}?" if close else ""
            raise RegistryError(f"{name} is not registered. Please register with {nickname}.register first."
                                f"{hint} Registered names: {', '.join(sorted(registry))}.")
        return registry[key](*args, **kwargs)

    create.__doc__ = (f"Create a {nickname} instance from config: a registered name (with constructor "
                      f"arguments), a JSON string, a dict, or an instance of {base_class.__name__} "
                      "(returned as is).")
    return create
