# -*- coding: utf-8 -*-
"""Secret values for the leak tests: the example inventory's vault variables, each set to a value no output may hold."""

from __future__ import annotations

VAULT = {
    "vault_platform_slack_url": "https://hooks.slack.example/services/LEAK/TEST/leaktest-platform-slack-9d2f",
    "vault_smtp_password": "leaktest-smtp-password-41ce",
    "vault_payments_pagerduty_key": "leaktest-payments-pagerduty-6b80",
    "vault_payments_slack_url": "https://hooks.slack.example/services/LEAK/TEST/leaktest-payments-slack-c31a",
    "vault_payments_webhook_url": "https://hooks.example.com/payments?token=leaktest-webhook-token-0f57",
    "vault_checkout_opsgenie_key": "leaktest-checkout-opsgenie-e6d4",
    "vault_checkout_msteams_url": "https://example.webhook.office.com/webhookb2/leaktest-checkout-teams-77a1",
}
SECRETS = set(VAULT.values())
