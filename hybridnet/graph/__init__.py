"""The graph engine (the symbolic half of the hybrid): IR, tracer, executor, graph autodiff.

>>> from hybridnet import nd, graph
>>> f = graph.compile(lambda x: nd.relu(x - 1) * 2)
>>> f(nd.array([0.0, 3.0])).asnumpy().tolist()
[0.0, 4.0]
"""
from .ir import Graph, GraphError, Node, Value  # noqa: F401
from .trace import GraphTrace, LeakedTracerError, Traced, trace  # noqa: F401
from .executor import Executable, compile  # noqa: F401
