"""Kestra's ``io.kestra.plugin.serdes`` tasks: file formats to and from Ion rows, streaming.

CSV, JSON, Excel, Parquet and Avro convert to Ion rows (one value a line) and back, so a
file of any size never sits in memory.

The drivers (amazon.ion, openpyxl, pyarrow, fastavro) come with ``kestrelflow[serdes]``.
"""

from plugins.serdes.avro_tasks import AvroToIon, IonToAvro
from plugins.serdes.csv_tasks import CsvToIon, IonToCsv
from plugins.serdes.errors import SerdesError
from plugins.serdes.excel_tasks import ExcelToIon, IonToExcel
from plugins.serdes.json_tasks import IonToJson, JsonToIon
from plugins.serdes.parquet_tasks import IonToParquet, ParquetToIon

__all__ = [
    "AvroToIon",
    "CsvToIon",
    "ExcelToIon",
    "IonToAvro",
    "IonToCsv",
    "IonToExcel",
    "IonToJson",
    "IonToParquet",
    "JsonToIon",
    "ParquetToIon",
    "SerdesError",
]
