"""The recognition domain: rules, projections and points over the region logs.

- :mod:`.core` — :class:`Domain`: submit signed messages under the rules; rebuild;
- :mod:`.rules` — the rules, each refusing with a :class:`DomainError` code;
- :mod:`.apply` — how each entry changes the projections (live and rebuild alike);
- :mod:`.policy` — the versioned points policy;
- :mod:`.queries`, :mod:`.kpis` — read views;
- :mod:`.details` — private details off the log;
- :mod:`.tables` — the ``svc_*`` tables (schema by ``service/migrations``).
"""

from typing import Any

from .core import Domain, Receipt, snapshot
from .details import DetailsStore
from .errors import DomainError
from .rules import Limits


def make_domain(regions: Any, settings: Any) -> Domain:
    """The domain over ``regions`` with the limits and details directory of ``settings``."""
    return Domain(regions, Limits(window=settings.message_window),
                  DetailsStore(settings.data_dir / "details"))


__all__ = ["DetailsStore", "Domain", "DomainError", "Limits", "Receipt", "make_domain", "snapshot"]
