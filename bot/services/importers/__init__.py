"""Knowledge-base importers: zwbot's own YAML folder, a CSV template and the gd-jsonl portal export.

Every importer returns an `ImportBatch`; problems name the file, line and field they concern.
"""

from bot.services.importers.batch import ImportBatch, ImportProblem
from bot.services.importers.csv_template import read_csv_template, write_csv_template
from bot.services.importers.gd_jsonl import read_gd_jsonl
from bot.services.importers.zwbot_format import read_zwbot_folder, write_zwbot_folder

FORMATS = {"zwbot": read_zwbot_folder, "csv": read_csv_template, "gd-jsonl": read_gd_jsonl}

__all__ = [
    "FORMATS",
    "ImportBatch",
    "ImportProblem",
    "read_csv_template",
    "read_gd_jsonl",
    "read_zwbot_folder",
    "write_csv_template",
    "write_zwbot_folder",
]
