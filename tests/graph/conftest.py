"""Graph tests run every pass under ``graph.verify`` (HYBRIDNET_DEBUG_GRAPH=1)."""
import os

os.environ["HYBRIDNET_DEBUG_GRAPH"] = "1"
