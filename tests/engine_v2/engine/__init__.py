"""The frozen engine (see engine_v2)."""
