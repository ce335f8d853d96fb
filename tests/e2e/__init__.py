"""End-to-end tests of the web UI in a real headless Chromium.

A package, so that its ``conftest`` does not replace the suite's ``conftest`` module, which
other tests import helpers from.
"""
