"""The S3 bucket media is stored in, when one is configured (`STORAGES`): its
readiness check, registered with core.health by core's `AppConfig.ready()`."""

from django.conf import settings


def s3_configured() -> bool:
    return bool(getattr(settings, "AWS_STORAGE_BUCKET_NAME", ""))


def check_s3() -> None:
    """The bucket answers a HEAD within READY_OPTIONAL_TIMEOUT_SECONDS."""
    # Loaded only where a bucket is configured: boto3 adds ~0.3 s to every start-up.
    import boto3
    from botocore.config import Config

    timeout = settings.READY_OPTIONAL_TIMEOUT_SECONDS
    client = boto3.client(
        "s3",
        endpoint_url=settings.AWS_S3_ENDPOINT_URL,
        region_name=settings.AWS_S3_REGION_NAME,
        config=Config(connect_timeout=timeout, read_timeout=timeout, retries={"max_attempts": 1}),
    )
    client.head_bucket(Bucket=settings.AWS_STORAGE_BUCKET_NAME)
