"""tensorboard_log.py: CRC-32C against the standard check values, and the
event files read back with an independent TFRecord and protobuf decoder (the
portal's own tests read them with a real TensorBoard)."""

import struct

from ${{ values.pkg }}.tensorboard_log import EventFileWriter, crc32c, masked_crc32c, tfrecord


def test_crc32c_matches_the_standard_check_values():
    # RFC 3720 (iSCSI) B.4 and the usual "123456789" check value.
    assert crc32c(b"123456789") == 0xE3069283
    assert crc32c(bytes(32)) == 0x8A9136AA
    assert crc32c(bytes([0xFF] * 32)) == 0x62A8AB43
    assert crc32c(bytes(range(32))) == 0x46DD794E
    assert crc32c(b"") == 0


def test_masked_crc_is_rotated_and_offset():
    crc = crc32c(b"abc")
    rotated = ((crc >> 15) | (crc << 17)) & 0xFFFFFFFF
    assert masked_crc32c(b"abc") == (rotated + 0xA282EAD8) & 0xFFFFFFFF


def read_records(data: bytes):
    """TFRecords of `data`, each checked against its two CRCs."""
    records, at = [], 0
    while at < len(data):
        header = data[at : at + 8]
        (length,) = struct.unpack("<Q", header)
        (length_crc,) = struct.unpack("<I", data[at + 8 : at + 12])
        assert length_crc == masked_crc32c(header)
        payload = data[at + 12 : at + 12 + length]
        (payload_crc,) = struct.unpack("<I", data[at + 12 + length : at + 16 + length])
        assert payload_crc == masked_crc32c(payload)
        records.append(payload)
        at += 16 + length
    assert at == len(data)
    return records


def decode(message: bytes):
    """Protobuf fields of `message` as (field, wire type, value) triples."""
    fields, at = [], 0

    def varint():
        nonlocal at
        value, shift = 0, 0
        while True:
            byte = message[at]
            at += 1
            value |= (byte & 0x7F) << shift
            shift += 7
            if not byte & 0x80:
                return value

    while at < len(message):
        key = varint()
        field, wire = key >> 3, key & 7
        if wire == 0:
            value = varint()
        elif wire == 1:
            (value,) = struct.unpack("<d", message[at : at + 8])
            at += 8
        elif wire == 5:
            (value,) = struct.unpack("<f", message[at : at + 4])
            at += 4
        elif wire == 2:
            length = varint()
            value = message[at : at + length]
            at += length
        else:
            raise AssertionError(f"unexpected wire type {wire}")
        fields.append((field, wire, value))
    return fields


def test_writes_a_file_version_then_one_event_per_step(tmp_path):
    with EventFileWriter(tmp_path / "run-1") as writer:
        writer.add_scalars({"train_loss": 0.5, "val/auc": 0.75, "note": "skipped"}, step=3, wall_time=1700000000.25)
        writer.add_scalar("train_loss", 0.25, step=4)
    assert writer.path.parent == (tmp_path / "run-1").resolve()
    assert writer.path.name.startswith("events.out.tfevents.")

    first, second, third = read_records(writer.path.read_bytes())
    assert decode(first)[1:] == [(3, 2, b"brain.Event:2")]
    assert decode(first)[0][:2] == (1, 1)  # wall_time, a double

    wall_time, step, summary = decode(second)
    assert wall_time == (1, 1, 1700000000.25)
    assert step == (2, 0, 3)
    assert summary[:2] == (5, 2)
    values = [decode(v) for field, _, v in decode(summary[2]) if field == 1]
    assert values == [
        [(1, 2, b"train_loss"), (2, 5, 0.5)],
        [(1, 2, b"val/auc"), (2, 5, 0.75)],
    ]
    assert decode(third)[1] == (2, 0, 4)


def test_large_and_negative_steps_are_int64_varints():
    from ${{ values.pkg }}.tensorboard_log import event

    assert decode(event(0.0, step=300))[1] == (2, 0, 300)
    assert decode(event(0.0, step=-1))[1] == (2, 0, 2**64 - 1)


def test_a_record_of_empty_data_is_sixteen_bytes():
    record = tfrecord(b"")
    assert len(record) == 16
    assert read_records(record) == [b""]
