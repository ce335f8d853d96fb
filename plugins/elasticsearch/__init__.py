"""Kestra's ``io.kestra.plugin.elasticsearch`` tasks on the Elasticsearch client Kestrel uses.

`Search` and `Scroll` query, `Get` and `Put` read and write one document, `Bulk` and `Load`
send a stored file in bulk requests, `Request` calls any endpoint.
"""

from plugins.elasticsearch.bulk import Bulk, Load
from plugins.elasticsearch.connection import Connection
from plugins.elasticsearch.documents import Get, Put
from plugins.elasticsearch.errors import ElasticsearchTaskError
from plugins.elasticsearch.request import Request
from plugins.elasticsearch.search import Scroll, Search

__all__ = [
    "Bulk",
    "Connection",
    "ElasticsearchTaskError",
    "Get",
    "Load",
    "Put",
    "Request",
    "Scroll",
    "Search",
]
