"""Rekognition error types, named exactly as AWS names them.

The server turns a `RekognitionError` into HTTP 400 with `{"__type": name, "message": ...}`,
which botocore raises as `ClientError` (and as `client.exceptions.<name>`).
"""

from __future__ import annotations


class RekognitionError(Exception):
    """An error the API reports to the caller. `code` is the AWS error name."""

    code = "InvalidParameterException"
    status = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidParameterException(RekognitionError):
    code = "InvalidParameterException"


class InvalidImageFormatException(RekognitionError):
    code = "InvalidImageFormatException"


class ImageTooLargeException(RekognitionError):
    code = "ImageTooLargeException"


class InvalidS3ObjectException(RekognitionError):
    code = "InvalidS3ObjectException"


class ResourceNotFoundException(RekognitionError):
    code = "ResourceNotFoundException"


class ResourceAlreadyExistsException(RekognitionError):
    code = "ResourceAlreadyExistsException"


class InvalidPaginationTokenException(RekognitionError):
    code = "InvalidPaginationTokenException"


class UnknownOperationException(RekognitionError):
    code = "UnknownOperationException"


class SerializationException(RekognitionError):
    code = "SerializationException"


class ConflictException(RekognitionError):
    code = "ConflictException"


class ServiceQuotaExceededException(RekognitionError):
    code = "ServiceQuotaExceededException"
