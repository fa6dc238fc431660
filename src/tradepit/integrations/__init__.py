"""Integrations: notifications (Slack webhook and Web API, Discord webhook) with severity
routing, retries and secret redaction; the daily summary at the market close.

Import the modules you need (`integrations.hub`, `integrations.targets`, ...): this package
imports nothing itself, so slack_sdk and httpx load only when a notifier is built.
"""
