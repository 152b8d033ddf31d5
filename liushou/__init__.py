"""liushou: quarterly reconciliation of the left-behind children register (留守儿童名册)."""

__version__ = "0.1.0"
