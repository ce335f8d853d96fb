"""The ``kestrel`` command line interface."""
