"""enrollment-migrate: validate, split and apply LMS enrollment histories to a portal."""

__version__ = "0.1.0"
