"""govwatch's engine: from a configured source to a stored publication and its alerts.

The packages follow the data: ``spiders`` fetch and parse, ``crawler.pipelines`` normalize,
validate and store, ``storage`` keeps publications and runs, ``crawler.alerts`` delivers.
"""

__version__ = "0.1.0"
