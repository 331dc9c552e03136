"""The frozen checks (see engine_v2)."""
