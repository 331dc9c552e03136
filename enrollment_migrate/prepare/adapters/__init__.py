"""Adapters: plug-ins for exports that need computing before they fit the template."""

from enrollment_migrate.prepare.adapters.base import (
    Adapter,
    AdapterOptionError,
    adapter_names,
    make_adapter,
    register,
)
from enrollment_migrate.prepare.adapters.oulad import OuladAdapter

register("oulad", OuladAdapter)

__all__ = ["Adapter", "AdapterOptionError", "OuladAdapter", "adapter_names", "make_adapter", "register"]
