"""Child-process half of the restricted checkpoint loader (standard library only).

``safe_load.load_checkpoint_safely`` runs ``python -I -S checkpoint_parser/__main__.py FD
MEMORY SECONDS`` in a fresh interpreter (its modules import each other as top-level modules; this
``__init__`` is not run there). It reads the ``torch.save`` file open at ``FD`` (zip or legacy
format), unpickles its object tree with :class:`pickle.Unpickler` whose ``find_class`` only hands
out the inert stand-ins of ``stand_ins.py`` (``unpickler.py``), and writes to stdout one JSON
document (``encode.py``): a tagged, code-free tree plus, for every tensor storage, *where its
bytes lie in the file* (``formats.py``; it never reads tensor data). The parent then
rebuilds the tree from the tags and reads the storage bytes itself.

Everything a hostile file can do to an unpickler (deep recursion that crashes the interpreter,
exponential hashing of shared tuples, huge allocations, stale heap memory, changes to module
state) happens here, in a process that holds nothing but the file, cannot write files
(``RLIMIT_FSIZE=0``), and is bounded in memory and CPU time; the parent also kills it at a wall
clock deadline. Nothing here imports torch, numpy or MMEngine.

Tags of the output tree (``[tag, ...]``; JSON strings, ints, bools and null stand for
themselves; an object the pickle shares is written out at each place it occurs):

=====  ==========================================================================
``L``  list ``[items]``              ``T``   tuple ``[items]``
``D``  dict ``[[k, v], ...]``        ``O``   OrderedDict ``[[k, v], ...], metadata-or-null``
``S``  set ``[items]``               ``FS``  frozenset ``[items]``
``CT`` Counter ``[[k, v], ...]`` (attributes of dicts are never written)
``F``  float (also nan/inf) repr     ``C``   complex ``re, im``
``B``  bytes, base64                 ``BA``  bytearray, base64
``TEN`` tensor ``key, offset, size, stride, requires_grad, is_parameter``
``TD`` torch dtype name              ``DEV`` device string      ``SZ`` torch.Size ``[ints]``
``NDA`` numpy array ``dtype, shape, fortran, base64``           ``NPS`` numpy scalar
``NPD`` numpy dtype ``dtype``        ``HB``  HistoryBuffer ``max_length, NDA, NDA``
=====  ==========================================================================
"""
