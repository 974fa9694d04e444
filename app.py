#!/usr/bin/env python3
"""CDK entry point (`cdk synth|deploy|destroy`). Settings: cdk.json context, `-c key=value`."""

import sys

from aws_cdk import App

from infra.app import build
from infra.config import ConfigError

app = App()
try:
    build(app)
except ConfigError as error:
    sys.exit(str(error))
app.synth()
