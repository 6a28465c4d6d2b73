"""authlab: a local Authentik identity provider in one command."""

__version__ = "0.1.0"
