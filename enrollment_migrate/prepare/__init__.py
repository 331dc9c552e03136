"""`prepare`: an old LMS's export (CSV, .xlsx, or a dataset an adapter reads) to a template file.

One module per job: `sources` reads, `mapping` loads the mapping file, `columns` shapes the
template's columns, `dates` and `statuses` convert, `checks` foresees what validate will say,
`output` writes, `report` tells; `pipeline` puts them together, and `adapters` holds the plug-ins.
"""
