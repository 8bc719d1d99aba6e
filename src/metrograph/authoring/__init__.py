"""The spreadsheet authoring format (a plan as a folder of CSV files, described by the CSVW
metadata ``csv-metadata.json``) and status updates.

``schema`` reads the metadata; ``reader`` checks one CSV file against it; ``csv_format`` imports
a folder to RDF; ``exporter`` turns a plan back into rows; ``folder`` writes a folder whole;
``status`` records a dated assessment.
"""

from metrograph.authoring.csv_format import PlanFolder, import_folder, read_folder
from metrograph.authoring.exporter import export_plan, plan_graph
from metrograph.authoring.folder import write_folder, write_template
from metrograph.authoring.reader import Problem
from metrograph.authoring.schema import tables
from metrograph.authoring.status import record_status

__all__ = ["PlanFolder", "Problem", "export_plan", "import_folder", "plan_graph", "read_folder",
           "record_status", "tables", "write_folder", "write_template"]
