"""Doorman core: pure domain code shared by the functions, edge agent, operator tools and infra.

Imports no boto3, cv2, dlib, click or aws_cdk (import-linter enforces it)."""
