"""Thin adapters around injected boto3 clients: the only place functions talk to AWS."""
