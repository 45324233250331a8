"""The uuid shim hashes bytes names exactly as Python 3.12 does and leaves str names alone."""

import hashlib
import uuid

import pytest

from sagewatch.localstack import compat


@pytest.fixture
def restore_uuid(monkeypatch):
    """Undo the shim after each test (monkeypatch restores the original module attributes)."""
    monkeypatch.setattr(uuid, "uuid3", uuid.uuid3)
    monkeypatch.setattr(uuid, "uuid5", uuid.uuid5)


NAMES = [b"", b"python.org", bytes(range(256)), "ключ".encode("utf-8"), b"\x00" * 32]
NAMESPACES = [uuid.NAMESPACE_DNS, uuid.NAMESPACE_URL, uuid.UUID("12345678-1234-5678-1234-567812345678")]


def _python312_uuid5(namespace, name):
    # Python 3.12 Lib/uuid.py: sha1(namespace.bytes + name).digest()[:16], version 5
    return uuid.UUID(bytes=hashlib.sha1(namespace.bytes + name).digest()[:16], version=5)


def _python312_uuid3(namespace, name):
    # Python 3.12 Lib/uuid.py: md5(namespace.bytes + name).digest()[:16], version 3
    return uuid.UUID(bytes=hashlib.md5(namespace.bytes + name).digest()[:16], version=3)


@pytest.mark.parametrize("namespace", NAMESPACES)
@pytest.mark.parametrize("name", NAMES)
def test_uuid5_bytes_name_matches_python312(restore_uuid, namespace, name):
    compat.patch_uuid_bytes_names()
    expected = _python312_uuid5(namespace, name)
    assert uuid.uuid5(namespace, name) == expected
    assert uuid.uuid5(namespace, name).version == 5


@pytest.mark.parametrize("namespace", NAMESPACES)
@pytest.mark.parametrize("name", NAMES)
def test_uuid3_bytes_name_matches_python312(restore_uuid, namespace, name):
    compat.patch_uuid_bytes_names()
    expected = _python312_uuid3(namespace, name)
    assert uuid.uuid3(namespace, name) == expected
    assert uuid.uuid3(namespace, name).version == 3


def test_known_vector_bytes_equals_str_encoding(restore_uuid):
    compat.patch_uuid_bytes_names()
    # RFC 4122 / Python docs example: uuid5(NAMESPACE_DNS, "python.org")
    assert str(uuid.uuid5(uuid.NAMESPACE_DNS, b"python.org")) == "886313e1-3b8a-5372-9b90-0c9aee199e5d"
    assert str(uuid.uuid3(uuid.NAMESPACE_DNS, b"python.org")) == "6fa459ea-ee8a-3ca4-894e-db77e160355e"


def test_str_names_go_to_the_original_functions(restore_uuid):
    original5, original3 = uuid.uuid5, uuid.uuid3
    compat.patch_uuid_bytes_names()
    for name in ["", "python.org", "ключ"]:
        assert uuid.uuid5(uuid.NAMESPACE_URL, name) == original5(uuid.NAMESPACE_URL, name)
        assert uuid.uuid3(uuid.NAMESPACE_URL, name) == original3(uuid.NAMESPACE_URL, name)
    with pytest.raises((TypeError, AttributeError)):
        uuid.uuid5(uuid.NAMESPACE_URL, 42)  # other types still fail as before


def test_patch_is_idempotent(restore_uuid):
    compat.patch_uuid_bytes_names()
    first5, first3 = uuid.uuid5, uuid.uuid3
    compat.patch_uuid_bytes_names()
    assert uuid.uuid5 is first5
    assert uuid.uuid3 is first3
    assert uuid.uuid5(uuid.NAMESPACE_DNS, b"x") == _python312_uuid5(uuid.NAMESPACE_DNS, b"x")


def test_bytearray_and_memoryview_names(restore_uuid):
    compat.patch_uuid_bytes_names()
    assert uuid.uuid5(uuid.NAMESPACE_DNS, bytearray(b"abc")) == _python312_uuid5(uuid.NAMESPACE_DNS, b"abc")
    assert uuid.uuid3(uuid.NAMESPACE_DNS, memoryview(b"abc")) == _python312_uuid3(uuid.NAMESPACE_DNS, b"abc")


def test_shim_makes_bytes_names_accepted(restore_uuid):
    compat.patch_uuid_bytes_names()
    assert compat.uuid_accepts_bytes_names()
