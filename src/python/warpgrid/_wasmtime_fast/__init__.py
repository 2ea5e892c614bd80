"""Speed patches over wasmtime-py 50.0.1 internals, kept in one clearly named room.

- ``fastbytes``: bulk ``list<u8>`` lifting/lowering (and ``list<u64>`` lifting, into an
  ``array('Q')``) instead of one Python call per element.
- ``typecache``: component type metadata read once per type/function instead of per call.

Both check the structures they rely on at install time and leave the stock code in place
(with one warning) when anything differs, so a wasmtime-py upgrade can cost speed, never
correctness.

What would retire them upstream: wasmtime-py converting ``list<u8>`` to and from ``bytes``
with one ``ctypes.memmove`` (the C API's ``wasmtime_component_vallist_t`` already holds
the values contiguously, so only the Python converters in ``wasmtime/component/_types.py``
need the bulk path), and ``Func``/``FuncType`` caching their type trees (the C API's type
handles are immutable). When a wasmtime-py release does both, delete this package and the
``fastbytes.install()`` call in ``warpgrid.engine`` (the ``list<u64>`` lift is speed only:
the http-body shim also takes the stock list).
"""
