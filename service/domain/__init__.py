"""The recognition domain: rules, projections and points over the region logs.

- :mod:`.core` — :class:`Domain`: submit signed messages under the rules; rebuild;
- :mod:`.rules` — the rules, each refusing with a :class:`DomainError` code;
- :mod:`.apply` — how each entry changes the projections (live and rebuild alike);
- :mod:`.policy` — the versioned points policy;
- :mod:`.queries`, :mod:`.kpis` — read views;
- :mod:`.details` — private details off the log;
- :mod:`.tables` — the ``svc_*`` tables (schema by ``service/migrations``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .details import DetailsStore
from .errors import DomainError
from .rules import Limits

if TYPE_CHECKING:
    from .core import Domain, Receipt, snapshot

# .core (the store, keyring and migrations behind Domain) is imported when one of its
# names is first used: the audit verifier replays entries with .apply and .rules alone.
_CORE = frozenset({"Domain", "Receipt", "snapshot"})


def __getattr__(name: str) -> Any:
    if name in _CORE:
        from . import core

        return getattr(core, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def make_domain(regions: Any, settings: Any) -> Domain:
    """The domain over ``regions`` with the limits and details directory of ``settings``."""
    from .core import Domain
    from .details import DetailsLimits

    limits = DetailsLimits(settings.details_member_bytes, settings.details_unreferenced,
                           settings.details_unreferenced_ttl)
    engine = getattr(regions.store, "engine", None)
    return Domain(regions, Limits(window=settings.message_window),
                  DetailsStore(settings.data_dir / "details", engine, limits))


__all__ = ["DetailsStore", "Domain", "DomainError", "Limits", "Receipt", "make_domain", "snapshot"]
