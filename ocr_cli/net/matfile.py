"""Rows of a MATLAB v5 ``.mat`` variable read straight into float32, a few columns at a
time, without the copy as stored that ``scipy.io.loadmat`` makes first.

A data file's rows are most of its memory: 262,144 rows of doubles are 2 GB as stored
and 1 GB as the float32 training works in, and loadmat holds both (3.3 GB for a 2 MB
file of compressed zeros). This module reads the one variable asked for, element by
element (a compressed one inflated as it is read), into a preallocated float32 array:
its rows, plus a few MB. It knows only what data files hold, a real, full numeric
matrix; for anything else (other versions, complex or sparse data, a file it does not
understand) it answers None and the caller reads the file with scipy, which words the
error.

Format (MathWorks, "MAT-File Format", level 5): a 128-byte header, then data elements,
each an 8-byte tag (type, byte count; a "small" element packs both into 4 bytes and its
data into the next 4) and its data padded to 8 bytes. A variable is a matrix element
(type 14), or a compressed one (type 15) inflating to it: array flags (class), dimensions,
name, then the real part, column after column.
"""

import struct
import zlib

import numpy as np

MATRIX, COMPRESSED = 14, 15
# Data types of the real part (the stored type, which may be narrower than the class).
TYPES = {1: "i1", 2: "u1", 3: "i2", 4: "u2", 5: "i4", 6: "u4", 7: "f4", 9: "f8", 12: "i8", 13: "u8"}
NUMERIC_CLASSES = range(6, 16)  # mxDOUBLE_CLASS .. mxUINT64_CLASS
COMPLEX = 0x800  # array flags: has an imaginary part
CHUNK = 1 << 22  # bytes read (or inflated) at a time: 4 MB


class Unknown(Exception):
    """What this reader does not handle: the caller falls back to scipy."""


class Element:
    """The bytes of one data element: read from the file as they are, or inflated as
    they are read."""

    def __init__(self, handle, size, compressed):
        self.handle, self.left = handle, size
        self.inflate = zlib.decompressobj() if compressed else None

    def read(self, n):
        out = bytearray()
        while len(out) < n:
            if self.inflate is None:
                data = self.handle.read(min(n - len(out), self.left))
                self.left -= len(data)
                out += data
            else:
                data = self.inflate.unconsumed_tail
                if not data:
                    data = self.handle.read(min(CHUNK, self.left))
                    self.left -= len(data)
                data = self.inflate.decompress(data, n - len(out))
                out += data
            if not data:
                raise Unknown("the element ends early")
        return bytes(out)


def tag(element, order):
    """``(type, byte count, small)``: ``small``, the data follows in 4 bytes."""
    kind, size = struct.unpack(order + "II", element.read(8))
    if kind >> 16:  # small element: 2 bytes count, 2 bytes type, 4 bytes data
        return kind & 0xFFFF, kind >> 16, True
    return kind, size, False


def sub_element(element, order):
    """The data of a small sub-element (array flags, dimensions, name), padding read."""
    kind, size, small = tag(element, order)
    if small:
        return kind, element.read(4)[:size]
    data = element.read(size)
    element.read(-size % 8)
    return kind, data


def read_rows(path, name, shape):
    """Variable ``name`` of the ``.mat`` at ``path`` as a float32 C-ordered array of
    ``shape`` (its headers' shape, checked already), or None if the file is not one
    this reader handles (see the module's docstring)."""
    try:
        with open(path, "rb") as handle:
            header = handle.read(128)
            if len(header) < 128 or header[126:128] not in (b"IM", b"MI"):
                return None
            order = "<" if header[126:128] == b"IM" else ">"
            if struct.unpack(order + "H", header[124:126])[0] != 0x0100:
                return None  # v7.3 (HDF5) and others
            while True:
                head = handle.read(8)
                if len(head) < 8:
                    return None
                kind, size = struct.unpack(order + "II", head)
                start = handle.tell()
                if kind in (MATRIX, COMPRESSED):
                    element = Element(handle, size, kind == COMPRESSED)
                    if kind == COMPRESSED:
                        inner, _, _ = tag(element, order)
                        if inner != MATRIX:
                            raise Unknown("a compressed element that is not a matrix")
                    rows = matrix(element, order, name, shape)
                    if rows is not None:
                        return rows
                handle.seek(start + size + (-size % 8 if kind != COMPRESSED else 0))
    except (Unknown, zlib.error, struct.error, ValueError, OSError):
        return None


def matrix(element, order, name, shape):
    """The real part of the matrix ``element`` as float32 rows of ``shape`` if it is
    the variable ``name``; None if it is another variable."""
    _, flags = sub_element(element, order)
    _, dims = sub_element(element, order)
    _, own = sub_element(element, order)
    if own.decode("latin-1") != name:
        return None
    klass, dimensions = struct.unpack(order + "I", flags[:4])[0], struct.unpack(order + f"{len(dims) // 4}i", dims)
    if klass & 0xFF not in NUMERIC_CLASSES or klass & COMPLEX or tuple(dimensions) != tuple(shape):
        raise Unknown("not a real, full numeric matrix of the shape its header gave")
    kind, size, small = tag(element, order)
    if kind not in TYPES or small:
        raise Unknown("a real part of another type")
    dtype = np.dtype(TYPES[kind]).newbyteorder(order)
    n_rows, n_columns = shape
    if size != n_rows * n_columns * dtype.itemsize:
        raise Unknown("a real part of another size")
    rows = np.empty(shape, np.float32)
    step = max(1, CHUNK // max(n_rows * dtype.itemsize, 1))  # whole columns per read
    for first in range(0, n_columns, step):
        count = min(step, n_columns - first)
        column = np.frombuffer(element.read(count * n_rows * dtype.itemsize), dtype)
        with np.errstate(over="ignore", invalid="ignore"):  # a double beyond float32 is inf: refused as such
            rows[:, first:first + count] = column.reshape(count, n_rows).T  # stored column after column
    return rows
