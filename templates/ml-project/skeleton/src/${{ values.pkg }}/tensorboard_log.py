"""Writes TensorBoard event files (scalars), standard library only.

Used by train.py when TENSORBOARD_LOG_DIR (or --tensorboard-dir) is set. Like
tracking.py it needs no extra package: Debian's python3, which runs the
training, has no `tensorboard`. The files are what `tf.summary` and
`torch.utils.tensorboard` write, so TensorBoard (and the portal, which reads
TensorBoard's data API) shows the curves:

- a file named `events.out.tfevents.<time>.<host>.<pid>.<n>` in the run's dir,
- a sequence of TFRecords: uint64 length, masked CRC-32C of the length, the
  data, masked CRC-32C of the data (all little-endian),
- each record a serialized `tensorflow.Event` protobuf: wall_time (1, double),
  step (2, int64), file_version (3, "brain.Event:2", first record only) or
  summary (5) holding Summary.value (1) entries {tag (1), simple_value (2, float)}.

The module has no import of the project, so it can be copied on its own.
"""

import os
import socket
import struct
import time
from pathlib import Path
from typing import Mapping, Optional, Union

#: The MLflow run tag naming a run's event-file directory (the portal reads it).
RUN_TAG = "mlplatform.io/tensorboard-logdir"

_CRC32C_POLY = 0x82F63B78  # Castagnoli, reflected


def _crc32c_table():
    table = []
    for byte in range(256):
        crc = byte
        for _ in range(8):
            crc = (crc >> 1) ^ _CRC32C_POLY if crc & 1 else crc >> 1
        table.append(crc)
    return tuple(table)


_TABLE = _crc32c_table()


def crc32c(data: bytes) -> int:
    """CRC-32C (Castagnoli) of `data`, as TFRecord framing uses it."""
    crc = 0xFFFFFFFF
    for byte in data:
        crc = _TABLE[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def masked_crc32c(data: bytes) -> int:
    """TFRecord's masked CRC: rotated right by 15 bits plus a constant, so a
    CRC of data that itself holds CRCs stays well distributed."""
    crc = crc32c(data)
    return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def tfrecord(data: bytes) -> bytes:
    """One TFRecord: length, its masked CRC, the data, the data's masked CRC."""
    length = struct.pack("<Q", len(data))
    return (
        length
        + struct.pack("<I", masked_crc32c(length))
        + data
        + struct.pack("<I", masked_crc32c(data))
    )


# Protocol buffer wire format: a key is (field << 3) | wire type.
_VARINT, _FIXED64, _LENGTH, _FIXED32 = 0, 1, 2, 5


def _varint(value: int) -> bytes:
    value &= 0xFFFFFFFFFFFFFFFF  # int64: negative numbers take ten bytes
    out = bytearray()
    while True:
        low = value & 0x7F
        value >>= 7
        if value:
            out.append(low | 0x80)
        else:
            out.append(low)
            return bytes(out)


def _key(field: int, wire_type: int) -> bytes:
    return _varint((field << 3) | wire_type)


def _length_delimited(field: int, payload: bytes) -> bytes:
    return _key(field, _LENGTH) + _varint(len(payload)) + payload


def scalar_value(tag: str, value: float) -> bytes:
    """A `Summary.Value` with `simple_value`."""
    return _length_delimited(1, tag.encode("utf-8")) + _key(2, _FIXED32) + struct.pack("<f", value)


def event(wall_time: float, step: int = 0, file_version: str = "", summary_values=()) -> bytes:
    """A serialized `Event`: wall time, step, and a file version or a summary."""
    out = _key(1, _FIXED64) + struct.pack("<d", wall_time)
    if step:
        out += _key(2, _VARINT) + _varint(step)
    if file_version:
        out += _length_delimited(3, file_version.encode("utf-8"))
    values = list(summary_values)
    if values:
        summary = b"".join(_length_delimited(1, v) for v in values)
        out += _length_delimited(5, summary)
    return out


class EventFileWriter:
    """Appends scalar summaries to a new event file in `logdir`, which is
    created. Flushes after every step, so TensorBoard shows a run live."""

    _count = 0

    def __init__(self, logdir: Union[str, Path]):
        self.logdir = Path(logdir).resolve()
        self.logdir.mkdir(parents=True, exist_ok=True)
        EventFileWriter._count += 1
        name = "events.out.tfevents.{}.{}.{}.{}".format(
            int(time.time()), socket.gethostname(), os.getpid(), EventFileWriter._count
        )
        self.path = self.logdir / name
        self._file = open(self.path, "ab")
        self._write(event(time.time(), file_version="brain.Event:2"))

    def _write(self, data: bytes) -> None:
        self._file.write(tfrecord(data))

    def add_scalars(self, values: Mapping[str, float], step: int, wall_time: Optional[float] = None) -> None:
        """One event at `step` with a scalar per tag (non-numbers skipped)."""
        summary = [
            scalar_value(tag, float(v))
            for tag, v in values.items()
            if isinstance(v, (int, float)) and not isinstance(v, bool)
        ]
        if summary:
            self._write(event(time.time() if wall_time is None else wall_time, step, summary_values=summary))
            self._file.flush()

    def add_scalar(self, tag: str, value: float, step: int, wall_time: Optional[float] = None) -> None:
        self.add_scalars({tag: value}, step, wall_time)

    def close(self) -> None:
        if not self._file.closed:
            self._file.close()

    def __enter__(self) -> "EventFileWriter":
        return self

    def __exit__(self, *_exc) -> None:
        self.close()
