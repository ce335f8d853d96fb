"""``kestrel webserver``: Kestra's REST API over aiohttp (flows, executions, logs, stats...).

The app factory is `orchestrator.webserver.app.create_app`; this package's ``__init__``
stays light so that the settings can import `orchestrator.webserver.settings` cheaply.
"""
