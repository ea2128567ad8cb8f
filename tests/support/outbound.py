"""The outbound policy of tests that run checks against servers they start on loopback: loopback
opened, as a deployment opens it with STATUS_DASHBOARD_OUTBOUND_ALLOW_NETWORKS."""

from status_dashboard.domain.outbound import LOOPBACK_NETWORKS, OutboundPolicy

LOOPBACK = OutboundPolicy(LOOPBACK_NETWORKS)
LOOPBACK_SETTING = {"STATUS_DASHBOARD_OUTBOUND_ALLOW_NETWORKS": "127.0.0.0/8,::1/128"}
