"""KMS keys and SSE-KMS uploads work on Python 3.11 (the uuid shim applied at LocalStack start-up)."""

import pytest

pytestmark = pytest.mark.e2e


def test_kms_create_key(aws_client):
    kms = aws_client("kms")
    metadata = kms.create_key(Description="sagewatch e2e")["KeyMetadata"]
    try:
        assert metadata["KeyState"] == "Enabled"
        assert metadata["KeySpec"] == "SYMMETRIC_DEFAULT"
        ciphertext = kms.encrypt(KeyId=metadata["KeyId"], Plaintext=b"secret")["CiphertextBlob"]
        assert kms.decrypt(CiphertextBlob=ciphertext)["Plaintext"] == b"secret"
    finally:
        kms.schedule_key_deletion(KeyId=metadata["KeyId"], PendingWindowInDays=7)


def test_s3_sse_kms_round_trip_with_default_key(aws_client, bucket):
    s3 = aws_client("s3")
    s3.put_object(Bucket=bucket, Key="data/object.bin", Body=b"\x00payload\xff", ServerSideEncryption="aws:kms")
    answer = s3.get_object(Bucket=bucket, Key="data/object.bin")
    assert answer["Body"].read() == b"\x00payload\xff"
    assert answer["ServerSideEncryption"] == "aws:kms"
    assert answer["SSEKMSKeyId"].startswith("arn:aws:kms:")


def test_s3_sse_kms_round_trip_with_own_key(aws_client, bucket):
    kms, s3 = aws_client("kms"), aws_client("s3")
    key = kms.create_key()["KeyMetadata"]
    try:
        s3.put_object(Bucket=bucket, Key="k", Body=b"abc", ServerSideEncryption="aws:kms", SSEKMSKeyId=key["Arn"])
        answer = s3.get_object(Bucket=bucket, Key="k")
        assert answer["Body"].read() == b"abc"
        assert answer["SSEKMSKeyId"] == key["Arn"]
    finally:
        kms.schedule_key_deletion(KeyId=key["KeyId"], PendingWindowInDays=7)
