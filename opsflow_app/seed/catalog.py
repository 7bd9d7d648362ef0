"""Hand-written core topologies, one business per tenant, with names unique across tenants.

Each tenant looks like a different company (shop, logistics, enterprise back office), so a
test or an evaluation can tell from a CI name alone which tenant it belongs to; a leak
across tenants is then visible. ``services`` maps a service to what it calls; databases
and queues call nothing; hosts are generated and workloads are placed on them.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class TenantCatalog:
    load_balancers: dict[str, tuple[str, ...]]
    services: dict[str, tuple[str, ...]]
    databases: tuple[str, ...]
    queues: tuple[str, ...]
    host_format: str
    core_hosts: int
    # Words for the extra services of bigger sizes: "<word>-<suffix>".
    extra_words: tuple[str, ...]
    # Services that only ever sit at the edge (frontends): never an incident root.
    frontends: tuple[str, ...]


EXTRA_SUFFIXES: tuple[str, ...] = ("svc", "worker", "sync", "api")

ACME = TenantCatalog(
    load_balancers={"web-lb": ("storefront-web",), "api-gateway-lb": ("mobile-bff",)},
    services={
        "storefront-web": (
            "checkout-api",
            "catalog-service",
            "search-service",
            "cart-service",
            "user-service",
        ),
        "mobile-bff": ("checkout-api", "catalog-service", "search-service", "user-service"),
        "checkout-api": ("payments-api", "cart-service", "orders-service", "pricing-service"),
        "payments-api": ("payments-db", "payment-events-queue", "auth-service"),
        "cart-service": ("session-cache", "pricing-service", "inventory-service"),
        "catalog-service": ("catalog-db", "pricing-service", "recommendation-service"),
        "search-service": ("search-index",),
        "orders-service": (
            "orders-db",
            "order-events-queue",
            "inventory-service",
            "shipping-service",
        ),
        "shipping-service": ("orders-db",),
        "inventory-service": ("inventory-db",),
        "user-service": ("users-db", "auth-service"),
        "auth-service": ("users-db", "session-cache"),
        "pricing-service": ("catalog-db",),
        "recommendation-service": ("catalog-db", "users-db"),
        "notification-service": ("order-events-queue", "email-queue", "users-db"),
        "email-worker": ("email-queue",),
    },
    databases=(
        "orders-db",
        "payments-db",
        "catalog-db",
        "users-db",
        "inventory-db",
        "session-cache",
        "search-index",
    ),
    queues=("order-events-queue", "payment-events-queue", "email-queue"),
    host_format="host-a{n}",
    core_hosts=17,
    extra_words=(
        "coupon",
        "wishlist",
        "review",
        "tax",
        "fraud",
        "loyalty",
        "giftcard",
        "returns",
        "warehouse",
        "promo",
        "affiliate",
        "subscription",
        "bundle",
        "locale",
        "media",
        "ratings",
    ),
    frontends=("storefront-web", "mobile-bff"),
)

GLOBEX = TenantCatalog(
    load_balancers={"edge-lb": ("portal-frontend",), "partner-lb": ("partner-gateway",)},
    services={
        "portal-frontend": ("shipment-api", "tracking-api", "billing-api", "account-api"),
        "partner-gateway": ("shipment-api", "tracking-api", "rate-quote-api"),
        "shipment-api": (
            "route-planner",
            "label-service",
            "rate-quote-api",
            "shipments-db",
            "dispatch-queue",
        ),
        "tracking-api": ("tracking-db", "geo-service"),
        "billing-api": ("invoice-service", "billing-db", "account-api"),
        "account-api": ("accounts-db", "identity-service"),
        "identity-service": ("accounts-db", "token-cache"),
        "rate-quote-api": ("rates-db", "fx-service"),
        "route-planner": ("geo-service", "fleet-service"),
        "label-service": ("documents-store",),
        "invoice-service": ("billing-db", "documents-store"),
        "fleet-service": ("fleet-db",),
        "geo-service": ("geo-db",),
        "fx-service": ("rates-db",),
        "dispatch-worker": ("dispatch-queue", "fleet-service", "shipments-db"),
        "telemetry-ingest": ("telemetry-queue", "tracking-db"),
    },
    databases=(
        "shipments-db",
        "tracking-db",
        "billing-db",
        "accounts-db",
        "rates-db",
        "fleet-db",
        "geo-db",
        "token-cache",
        "documents-store",
    ),
    queues=("dispatch-queue", "telemetry-queue"),
    host_format="gx-node-{n:02d}",
    core_hosts=16,
    extra_words=(
        "customs",
        "freight",
        "dock",
        "pallet",
        "carrier",
        "manifest",
        "eta",
        "hazmat",
        "yard",
        "parcel",
        "pickup",
        "dropoff",
        "weighbridge",
        "consignment",
        "driver",
        "toll",
    ),
    frontends=("portal-frontend", "partner-gateway"),
)

INITECH = TenantCatalog(
    load_balancers={"corp-lb": ("intranet-portal",), "api-lb": ("public-api",)},
    services={
        "intranet-portal": (
            "tps-report-service",
            "timesheet-service",
            "hr-service",
            "expense-service",
        ),
        "public-api": ("ledger-service", "customer-service", "statements-service"),
        "tps-report-service": ("reports-db", "template-service", "print-spooler"),
        "timesheet-service": ("timesheet-db", "hr-service"),
        "hr-service": ("hr-db", "directory-service"),
        "expense-service": ("expense-db", "ledger-service", "receipt-ocr"),
        "ledger-service": ("ledger-db", "audit-queue"),
        "customer-service": ("customer-db", "directory-service"),
        "statements-service": ("ledger-service", "pdf-renderer", "reports-db"),
        "template-service": ("templates-cache",),
        "print-spooler": ("print-queue",),
        "directory-service": ("ldap-directory",),
        "receipt-ocr": ("ocr-queue",),
        "pdf-renderer": (),
        "audit-logger": ("audit-queue", "audit-db"),
        "payroll-batch": ("hr-db", "ledger-service"),
    },
    databases=(
        "reports-db",
        "timesheet-db",
        "hr-db",
        "expense-db",
        "ledger-db",
        "customer-db",
        "templates-cache",
        "ldap-directory",
        "audit-db",
    ),
    queues=("audit-queue", "print-queue", "ocr-queue"),
    host_format="ini-vm-{n:03d}",
    core_hosts=15,
    extra_words=(
        "payslip",
        "bonus",
        "compliance",
        "stapler",
        "cubicle",
        "vendor",
        "procurement",
        "travel",
        "training",
        "badge",
        "helpdesk",
        "asset",
        "benefits",
        "pension",
        "overtime",
        "memo",
    ),
    frontends=("intranet-portal", "public-api"),
)

CATALOGS: dict[str, TenantCatalog] = {"t_acme": ACME, "t_globex": GLOBEX, "t_initech": INITECH}


def catalog_for(tenant_id: str) -> TenantCatalog:
    try:
        return CATALOGS[tenant_id]
    except KeyError:
        raise ValueError(
            f"no seed catalog for tenant {tenant_id!r}; known: {sorted(CATALOGS)}"
        ) from None
