"""Task types: the base classes, the registry and the core task models."""
