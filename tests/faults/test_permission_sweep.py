"""Permission sweep over every URL of the project.

Every URL pattern (pages, officer space, staff pages, API, admin) is enumerated from
the resolver and classified; a pattern nobody classified fails the suite, so a new
page cannot escape the sweep. Each pattern is then requested with real ids of
Grande-Synthe's objects (territory B; its contracts' documents included) by:

* an anonymous visitor → login page (pages), admin login (staff, admin), 401 (API);
* the officer of Fourmies (A) → 404 on B's objects, 403 on staff API actions,
  admin login on staff pages and the admin; B's data absent from their own pages;
* the officer of Grande-Synthe (B) on staff pages and the admin → admin login;

never with B's data in the answer, and a refused write changes nothing. A control
request by the owner (officer B, or staff for staff pages) proves each URL reaches a
real object, so a 404 above is a refusal and not a typo in the sweep."""

import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from rest_framework.test import APIClient

from contracts import services
from contracts.models import Contract, ContractDocument, EvidenceFile, ProgressReport, Target
from indicators.models import Aggregate, IndicatorValue, PendingRecompute, RecomputeRun
from territories.models import OfficerAssignment, Territory, TerritoryKind
from tests.contracts.factories import (
    ContractFactory,
    DocumentFactory,
    EvidenceFactory,
    TargetFactory,
    indicator,
    signable,
)
from tests.factories import UserFactory
from tri_portal.models import ApiToken

pytestmark = pytest.mark.fault

# --- Every URL pattern, classified ------------------------------------------------

PUBLIC = "public"  # anyone, no private data
OFFICER = "officer"  # login required, scoped to the officer's territories
STAFF = "staff"  # regional/ADEME agents only (staff_member_required)
ADMIN = "admin"  # the Django admin (staff only)
API_PUBLIC = "api-public"  # open data API, no authentication
API_AUTH = "api-auth"  # API with a personal token, scoped (reports)


def iter_patterns(patterns=None, prefix="", namespace=None):
    """(key, route, namespace, pattern) of every URL pattern, namespaces included.
    The key is the namespaced name, or the full route of an unnamed pattern."""
    if patterns is None:
        patterns = get_resolver().url_patterns
    for pattern in patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            inner = namespace
            if pattern.namespace:
                inner = f"{namespace}:{pattern.namespace}" if namespace else pattern.namespace
            yield from iter_patterns(pattern.url_patterns, route, inner)
        elif isinstance(pattern, URLPattern):
            name = f"{namespace}:{pattern.name}" if namespace and pattern.name else pattern.name
            yield name or route, route, namespace, pattern


CLASSIFICATION = {
    # Public pages and files
    "home": PUBLIC,
    "healthz": PUBLIC,
    "favicon": PUBLIC,
    "legal_notice": PUBLIC,
    "method": PUBLIC,
    "accessibility": PUBLIC,
    "privacy": PUBLIC,
    "contracts": PUBLIC,
    "contract": PUBLIC,
    "contract_csv": PUBLIC,
    "contract_comparison": PUBLIC,
    "contract_document": PUBLIC,  # public documents; the others 404 except for B and staff
    "territory_by_code": PUBLIC,
    "territory": PUBLIC,
    "coverage_search": PUBLIC,
    "regional_dashboard": PUBLIC,
    "map": PUBLIC,
    "open_data": PUBLIC,
    "data_dictionary": PUBLIC,
    "login": PUBLIC,
    "logout": PUBLIC,
    "password_reset": PUBLIC,
    "password_reset_done": PUBLIC,
    "password_reset_confirm": PUBLIC,
    "password_reset_complete": PUBLIC,
    "admin:login": PUBLIC,
    # Officer space (login required)
    "password_change": OFFICER,
    "password_change_done": OFFICER,
    "api_tokens": OFFICER,
    "api_token_revoke": OFFICER,
    "officer:dashboard": OFFICER,
    "officer:report": OFFICER,
    "officer:withdraw": OFFICER,
    "officer:import": OFFICER,
    "officer:import_template": OFFICER,
    "officer:evidence_upload": OFFICER,
    "officer:evidence_file": OFFICER,
    "officer:evidence_delete": OFFICER,
    # Staff pages
    "staff_dashboard": STAFF,
    "staff_reports": STAFF,
    "staff_alignment": STAFF,
    "staff_report": STAFF,
    "correct_value": STAFF,
    "staff_contract": STAFF,
    "staff_amendment": STAFF,
    "staff_evaluation": STAFF,
    "recompute_now": STAFF,
    # Open-data API
    "api:territory-list": API_PUBLIC,
    "api:territory-detail": API_PUBLIC,
    "api:indicator-list": API_PUBLIC,
    "api:indicator-detail": API_PUBLIC,
    "api:contract-list": API_PUBLIC,
    "api:contract-detail": API_PUBLIC,
    "api:target-list": API_PUBLIC,
    "api:target-detail": API_PUBLIC,
    "api:amendment-list": API_PUBLIC,
    "api:amendment-detail": API_PUBLIC,
    "api:value-list": API_PUBLIC,
    "api:value-detail": API_PUBLIC,
    "api:aggregate-list": API_PUBLIC,
    "api:aggregate-detail": API_PUBLIC,
    "api:regional-goal-list": API_PUBLIC,
    "api:regional-goal-detail": API_PUBLIC,
    "api:peer-statistic-list": API_PUBLIC,
    "api:peer-statistic-detail": API_PUBLIC,
    "api:effort-share-list": API_PUBLIC,
    "api:effort-share-detail": API_PUBLIC,
    "api:schema": API_PUBLIC,
    "api:docs": API_PUBLIC,
    "api:redoc": API_PUBLIC,
    "api:table_schema": API_PUBLIC,
    "api/v1/^.*/$": API_PUBLIC,  # JSON 404 for any unknown API address
    # Reports API (token)
    "api:report-list": API_AUTH,
    "api:report-detail": API_AUTH,
    "api:report-values": API_AUTH,
    "api:report-submit": API_AUTH,
    "api:report-validate": API_AUTH,
    "api:report-reject": API_AUTH,
    "api:report-withdraw": API_AUTH,
}


def classify(key: str, namespace: str | None) -> str | None:
    """Explicit entries first; every other pattern of the admin site is admin (it is
    swept generically below, model by model, so a new admin model is covered)."""
    if key in CLASSIFICATION:
        return CLASSIFICATION[key]
    if namespace == "admin" or (namespace is None and key.startswith("admin/")):
        return ADMIN
    return None


ALL_PATTERNS = list(iter_patterns())


def admin_group(route: str) -> str:
    """``contracts.contract`` for the pages of a model admin, ``site`` for the rest."""
    match = re.match(r"admin/(\w+)/(\w+)/", route)
    if match and (match[1], match[2]) in {
        (m._meta.app_label, m._meta.model_name) for m in admin.site._registry
    }:
        return f"{match[1]}.{match[2]}"
    return "site"


NON_ADMIN_KEYS = [
    key for key, _route, ns, _p in ALL_PATTERNS if classify(key, ns) not in (ADMIN, None)
]
ADMIN_GROUPS = sorted(
    {admin_group(route) for key, route, ns, _p in ALL_PATTERNS if classify(key, ns) == ADMIN}
)


def test_every_url_pattern_of_the_project_is_classified():
    unclassified = [route for key, route, ns, _p in ALL_PATTERNS if classify(key, ns) is None]

    assert unclassified == [], (
        "Nouvelles adresses non classées (public, officer, staff, admin, api-public, "
        f"api-auth) : ajoutez-les à CLASSIFICATION et à targets() : {unclassified}"
    )


def test_the_classification_names_only_existing_patterns():
    existing = {key for key, _route, _ns, _p in ALL_PATTERNS}

    assert set(CLASSIFICATION) - existing == set()


def test_a_new_unclassified_pattern_would_fail_the_sweep():
    from django.urls import include, path

    def view(request, **kwargs):
        return None

    new_patterns = [
        path("nouvelle-page/<int:pk>/", view, name="nouvelle_page"),
        path("espace/", include(([path("export/", view, name="export")], "officer"))),
        path("api/v1/", include(([path("secrets/", view)], "api"))),
    ]

    found = [(key, classify(key, ns)) for key, _route, ns, _p in iter_patterns(new_patterns)]

    assert found == [
        ("nouvelle_page", None),
        ("officer:export", None),
        ("api/v1/secrets/", None),
    ]


def test_the_sweep_covers_the_officer_api_and_admin_namespaces():
    namespaces = {ns for _key, _route, ns, _p in ALL_PATTERNS}
    by_class = {classify(key, ns) for key, _route, ns, _p in ALL_PATTERNS}

    assert {"officer", "api", "admin"} <= namespaces
    assert by_class == {PUBLIC, OFFICER, STAFF, ADMIN, API_PUBLIC, API_AUTH}
    assert len(ADMIN_GROUPS) >= len(admin.site._registry)


# --- The world: Fourmies (A) and Grande-Synthe (B) ----------------------------------

B_PRIVATE = (
    # Never shown to anyone outside Grande-Synthe and staff, not even on public pages.
    "COTRI-GS-BROUILLON",
    "Source-privee-GS",
    "Commentaire-prive-GS",
    "Source-soumise-GS",
    "Jeton-secret-GS",
    "referent@gs.example",
    "4321.987",
    "321,987",
    "Note-interne-GS",
    "Annexe-brouillon-GS",
    "Piece-justificative-GS",
)
B_ALL = (
    # Also absent from any refusal (B's public identity included).
    *B_PRIVATE,
    "Grande-Synthe",
    "59271",
    "COTRI-GRANDE-SYNTHE",
    "referent.grande-synthe",
    "Source-validee-GS",
    "Convention-publique-GS",
)


@dataclass
class World:
    staff: object
    officer_a: object
    officer_b: object
    fourmies: Territory
    grande_synthe: Territory
    contract_a: Contract
    contract_b: Contract
    draft_b: Contract
    draft_target_b: Target
    report_b_draft: ProgressReport
    report_b_submitted: ProgressReport
    report_b_validated: ProgressReport
    value_b_draft: IndicatorValue
    value_b_validated: IndicatorValue
    token_b: ApiToken
    document_b_public: ContractDocument
    document_b_internal: ContractDocument
    document_b_draft: ContractDocument
    evidence_b: EvidenceFile
    keys: dict = field(default_factory=dict)


def active_contract(territory, staff, reference):
    contract = ContractFactory(territory=territory, reference=reference)
    TargetFactory(contract=contract)  # cae_2.a
    services.sign_contract(signable(contract), staff, signed_on=date(2017, 10, 24))
    services.activate_contract(contract, staff, activated_on=contract.signed_on)
    return contract


def report_of(contract, officer, year, value, source, comment=""):
    report = services.open_report(contract, year, by=officer)
    services.save_report_values(
        report,
        [services.ReportedValue(indicator("cae_2.a"), value, source=source, comment=comment)],
        by=officer,
    )
    return report


@pytest.fixture
def world(db, monkeypatch, settings, tmp_path):
    # Signing refreshes the dashboards' materialised figures (seconds): not needed here.
    monkeypatch.setattr(
        "contracts.services.contract_status.refresh_contract_stats", lambda territories=None: 0
    )
    staff = UserFactory(
        username="agent.region", email="agent@region.example", is_staff=True, is_superuser=True
    )
    fourmies = Territory.objects.get(kind=TerritoryKind.COMMUNE, code="59249")
    grande_synthe = Territory.objects.get(kind=TerritoryKind.COMMUNE, code="59271")
    officer_a = UserFactory(username="referent.fourmies", email="referent@fourmies.example")
    officer_b = UserFactory(username="referent.grande-synthe", email="referent@gs.example")
    OfficerAssignment.objects.create(user=officer_a, territory=fourmies)
    OfficerAssignment.objects.create(user=officer_b, territory=grande_synthe)
    contract_a = active_contract(fourmies, staff, "COTRI-FOURMIES")
    contract_b = active_contract(grande_synthe, staff, "COTRI-GRANDE-SYNTHE")
    draft_b = ContractFactory(territory=grande_synthe, reference="COTRI-GS-BROUILLON")
    draft_target_b = TargetFactory(contract=draft_b)
    settings.MEDIA_ROOT = tmp_path / "media"
    document_b_public, document_b_internal, document_b_draft = (
        DocumentFactory(contract=contract, title=marker, public=public, file__data=marker.encode())
        for contract, marker, public in (
            (contract_b, "Convention-publique-GS", True),
            (contract_b, "Note-interne-GS", False),
            (draft_b, "Annexe-brouillon-GS", True),  # public, but of a draft
        )
    )

    validated = report_of(contract_b, officer_b, 2017, "1200", "Source-validee-GS")
    services.submit_report(validated, officer_b)
    services.validate_report(validated, staff)
    draft = report_of(
        contract_b, officer_b, 2018, "4321.987", "Source-privee-GS", "Commentaire-prive-GS"
    )
    submitted = report_of(contract_b, officer_b, 2019, "1100", "Source-soumise-GS")
    services.submit_report(submitted, officer_b)
    token_b, key_b = ApiToken.issue(officer_b, "Jeton-secret-GS")
    _token_a, key_a = ApiToken.issue(officer_a, "SIG Fourmies")
    return World(
        staff=staff,
        officer_a=officer_a,
        officer_b=officer_b,
        fourmies=fourmies,
        grande_synthe=grande_synthe,
        contract_a=contract_a,
        contract_b=contract_b,
        draft_b=draft_b,
        draft_target_b=draft_target_b,
        report_b_draft=draft,
        report_b_submitted=submitted,
        report_b_validated=validated,
        value_b_draft=draft.values.get(),
        value_b_validated=validated.values.get(),
        token_b=token_b,
        document_b_public=document_b_public,
        document_b_internal=document_b_internal,
        document_b_draft=document_b_draft,
        evidence_b=EvidenceFactory(
            report=draft,
            title="Piece-justificative-GS",
            file__data=b"%PDF-1.4 Piece-justificative-GS",
        ),
        keys={"officer_a": key_a, "officer_b": key_b},
    )


def db_state():
    """Everything a refused write could change: the scoped objects field by field,
    and the row count and last id of every model the admin manages."""
    detail = (
        list(
            ProgressReport.objects.order_by("pk").values_list(
                "pk", "status", "version", "rejection_reason", "submitted_at", "reviewed_at"
            )
        ),
        list(
            IndicatorValue.objects.order_by("pk").values_list(
                "pk", "value", "source", "comment", "status"
            )
        ),
        list(Contract.objects.order_by("pk").values_list("pk", "status", "reference", "title")),
        list(ApiToken.objects.order_by("pk").values_list("pk", "name", "revoked_at")),
        list(
            get_user_model()
            .objects.order_by("pk")
            .values_list("pk", "username", "email", "password", "is_staff", "is_active")
        ),
        PendingRecompute.objects.count(),
        RecomputeRun.objects.count(),
        Aggregate.objects.count(),
    )
    counts = {
        model._meta.label: (model._default_manager.count(), _last_pk(model))
        for model in admin.site._registry
    }
    return detail, counts


def _last_pk(model):
    last = model._default_manager.order_by("-pk").values_list("pk", flat=True).first()
    return str(last)


# --- Concrete URLs with B's ids -----------------------------------------------------


@dataclass
class Case:
    """One concrete URL of a pattern. ``public_status``: what anyone gets on a public
    URL; ``scoped``: it names one of B's objects (officer A gets 404); ``owner``: the
    control actor and the status it gets with GET (None: no control)."""

    label: str
    url: str
    public_status: int | None = None  # also checked: ``owner`` on a public URL
    scoped: bool = True
    owner: str | None = None
    owner_status: int = 200


def targets(w: World, key: str) -> list[Case]:
    b = w
    report_url = reverse("officer:report", args=[b.contract_b.pk, 2018])
    api_report = b.report_b_draft.pk
    uid = urlsafe_base64_encode(force_bytes(b.officer_b.pk))
    by_key = {
        # public
        "home": [Case("accueil", "/", public_status=200)],
        "healthz": [Case("santé", "/healthz")],
        "favicon": [Case("icône", "/favicon.ico", public_status=301)],
        "legal_notice": [Case("mentions", reverse("legal_notice"), public_status=200)],
        "method": [Case("méthode", reverse("method"), public_status=200)],
        "accessibility": [Case("accessibilité", reverse("accessibility"), public_status=200)],
        "privacy": [Case("données personnelles", reverse("privacy"), public_status=200)],
        "contracts": [
            Case("liste", reverse("contracts"), public_status=200),
            Case("recherche du brouillon", "/contrats/?q=GS-BROUILLON", public_status=200),
        ],
        "contract_comparison": [
            Case("comparaison", reverse("contract_comparison"), public_status=200),
            Case("comparaison CSV", "/contrats/comparaison/?format=csv", public_status=200),
        ],
        "contract": [
            Case("contrat actif de B", reverse("contract", args=[b.contract_b.pk]), 200),
            Case("brouillon de B", reverse("contract", args=[b.draft_b.pk]), 404),
        ],
        "contract_csv": [
            Case("CSV actif de B", reverse("contract_csv", args=[b.contract_b.pk]), 200),
            Case("CSV brouillon de B", reverse("contract_csv", args=[b.draft_b.pk]), 404),
        ],
        "contract_document": [
            Case("document public de B", document_url(b.document_b_public), 200),
            *(
                Case(label, document_url(document), 404, owner=owner)
                for label, document in (
                    ("document interne de B", b.document_b_internal),
                    ("document public du brouillon de B", b.document_b_draft),
                )
                for owner in ("officer_b", "staff")
            ),
            Case(
                "document public de B sous le contrat de A",
                reverse("contract_document", args=[b.contract_a.pk, b.document_b_public.pk]),
                404,
                owner="staff",
                owner_status=404,
            ),
        ],
        "territory_by_code": [
            Case("code de B", reverse("territory_by_code", args=["59271"]), public_status=302)
        ],
        "territory": [Case("page de B", reverse("territory", args=[b.grande_synthe.slug]), 200)],
        "coverage_search": [
            Case("couverture de la commune de B", "/couverture/?q=Grande-Synthe", 200)
        ],
        "regional_dashboard": [Case("tableau", reverse("regional_dashboard"), 200)],
        "map": [Case("carte", reverse("map"), 200)],
        "open_data": [Case("données", reverse("open_data"), public_status=200)],
        "data_dictionary": [Case("dictionnaire", reverse("data_dictionary"), public_status=200)],
        "login": [Case("connexion", reverse("login"), public_status=200)],
        "logout": [Case("déconnexion (GET)", reverse("logout"), public_status=405)],
        "password_reset": [Case("oubli", reverse("password_reset"), public_status=200)],
        "password_reset_done": [Case("oubli envoyé", reverse("password_reset_done"), 200)],
        "password_reset_confirm": [
            Case(
                "lien de B avec un faux jeton",
                reverse("password_reset_confirm", args=[uid, "abc-0123456789abcdef"]),
                public_status=200,
            )
        ],
        "password_reset_complete": [Case("fini", reverse("password_reset_complete"), 200)],
        "admin:login": [Case("connexion admin", reverse("admin:login"), public_status=200)],
        # officer space
        "password_change": [Case("mot de passe", reverse("password_change"), scoped=False)],
        "password_change_done": [Case("fait", reverse("password_change_done"), scoped=False)],
        "api_tokens": [Case("mes jetons", reverse("api_tokens"), scoped=False)],
        "api_token_revoke": [
            Case(
                "jeton de B",
                reverse("api_token_revoke", args=[b.token_b.pk]),
                owner="officer_b",
                owner_status=405,  # POST only: the control proves the route, not the id
            )
        ],
        "officer:dashboard": [Case("mon espace", reverse("officer:dashboard"), scoped=False)],
        "officer:report": [
            Case("rapport 2018 de B", report_url, owner="officer_b"),
            Case(
                "rapport 2019 soumis de B",
                reverse("officer:report", args=[b.contract_b.pk, 2019]),
                owner="officer_b",
            ),
            Case(
                "brouillon de contrat de B",
                reverse("officer:report", args=[b.draft_b.pk, 2018]),
                owner="staff",
                owner_status=404,  # a draft contract has no report, even for staff
            ),
        ],
        "officer:withdraw": [
            Case(
                "retirer le rapport soumis de B",
                reverse("officer:withdraw", args=[b.report_b_submitted.pk]),
                owner="officer_b",
            )
        ],
        "officer:import": [Case("import", reverse("officer:import"), scoped=False)],
        "officer:evidence_upload": [
            Case(
                "pièce jointe au rapport 2018 de B",
                reverse("officer:evidence_upload", args=[b.contract_b.pk, 2018]),
                owner="officer_b",
                owner_status=405,  # POST only
            )
        ],
        "officer:evidence_file": [
            Case("pièce de B", b.evidence_b.get_absolute_url(), owner="officer_b"),
            Case("pièce de B", b.evidence_b.get_absolute_url(), owner="staff"),
        ],
        "officer:evidence_delete": [
            Case(
                "retirer la pièce de B",
                reverse("officer:evidence_delete", args=[b.report_b_draft.pk, b.evidence_b.pk]),
                owner="officer_b",
                owner_status=405,  # POST only
            )
        ],
        "officer:import_template": [
            Case("modèle CSV", reverse("officer:import_template", args=["csv"]), scoped=False),
            Case("modèle XLSX", reverse("officer:import_template", args=["xlsx"]), scoped=False),
        ],
        # staff pages
        "staff_dashboard": [Case("gestion", reverse("staff_dashboard"), owner="staff")],
        "staff_reports": [Case("à valider", reverse("staff_reports"), owner="staff")],
        # Names no object of B (no regional goal here: no target below the path).
        "staff_alignment": [Case("objectifs en deçà", reverse("staff_alignment"), scoped=False)],
        "staff_report": [
            Case(
                "rapport soumis de B",
                reverse("staff_report", args=[b.report_b_submitted.pk]),
                owner="staff",
            )
        ],
        "correct_value": [
            Case(
                "valeur validée de B",
                reverse("correct_value", args=[b.value_b_validated.pk]),
                owner="staff",
            )
        ],
        "staff_contract": [
            Case(
                "vie du contrat de B",
                reverse("staff_contract", args=[b.contract_b.pk]),
                owner="staff",
            )
        ],
        "staff_amendment": [
            Case(
                "avenant au contrat de B",
                reverse("staff_amendment", args=[b.contract_b.pk]),
                owner="staff",
            )
        ],
        "staff_evaluation": [
            Case(
                "évaluation finale du contrat de B",
                reverse("staff_evaluation", args=[b.contract_b.pk]),
                owner="staff",
            )
        ],
        "recompute_now": [
            Case("recalcul", reverse("recompute_now"), owner="staff", owner_status=405)
        ],
        # open-data API
        "api:territory-list": [Case("territoires", "/api/v1/territories/", public_status=200)],
        "api:territory-detail": [
            Case("B", f"/api/v1/territories/{b.grande_synthe.pk}/", public_status=200)
        ],
        "api:indicator-list": [Case("indicateurs", "/api/v1/indicators/", public_status=200)],
        "api:indicator-detail": [Case("cae_2.a", "/api/v1/indicators/cae_2.a/", 200)],
        "api:contract-list": [
            Case("contrats", "/api/v1/contracts/", public_status=200),
            Case("recherche", "/api/v1/contracts/?search=GS-BROUILLON", 200),
        ],
        "api:contract-detail": [
            Case("actif de B", f"/api/v1/contracts/{b.contract_b.pk}/", public_status=200),
            Case("brouillon de B", f"/api/v1/contracts/{b.draft_b.pk}/", public_status=404),
        ],
        "api:target-list": [
            Case("objectifs", "/api/v1/targets/", public_status=200),
            Case("du brouillon", f"/api/v1/targets/?contract={b.draft_b.pk}", None),
        ],
        "api:target-detail": [
            Case(
                "objectif du brouillon de B",
                f"/api/v1/targets/{b.draft_target_b.pk}/",
                public_status=404,
            )
        ],
        "api:amendment-list": [
            Case("avenants", "/api/v1/amendments/", public_status=200),
            Case("du brouillon", f"/api/v1/amendments/?contract={b.draft_b.pk}", None),
        ],
        "api:amendment-detail": [Case("inexistant", "/api/v1/amendments/999999/", 404)],
        "api:value-list": [Case("valeurs", "/api/v1/values/", public_status=200)],
        "api:value-detail": [
            Case("validée de B", f"/api/v1/values/{b.value_b_validated.pk}/", 200),
            Case("brouillon de B", f"/api/v1/values/{b.value_b_draft.pk}/", 404),
        ],
        "api:aggregate-list": [Case("agrégats", "/api/v1/aggregates/", public_status=200)],
        "api:aggregate-detail": [Case("inexistant", "/api/v1/aggregates/999999/", 404)],
        "api:regional-goal-list": [
            Case("objectifs régionaux", "/api/v1/regional-goals/", public_status=200)
        ],
        "api:regional-goal-detail": [Case("inexistant", "/api/v1/regional-goals/999999/", 404)],
        "api:peer-statistic-list": [
            Case("statistiques de comparaison", "/api/v1/peer-statistics/", public_status=200)
        ],
        "api:peer-statistic-detail": [Case("inexistante", "/api/v1/peer-statistics/999999/", 404)],
        "api:effort-share-list": [
            Case("parts de l'effort", "/api/v1/effort-shares/", public_status=200)
        ],
        "api:effort-share-detail": [Case("inexistant", "/api/v1/effort-shares/999999/", 404)],
        "api:schema": [Case("schéma", "/api/v1/schema/", public_status=200)],
        "api:docs": [Case("Swagger", "/api/v1/docs/", public_status=200)],
        "api:redoc": [Case("Redoc", "/api/v1/redoc/", public_status=200)],
        "api:table_schema": [Case("valeurs", "/api/v1/table-schemas/valeurs-validees.json", 200)],
        "api/v1/^.*/$": [Case("inconnue", "/api/v1/inconnue/", public_status=404)],
        # reports API
        "api:report-list": [Case("rapports", "/api/v1/reports/", scoped=False)],
        "api:report-detail": [
            Case("brouillon de B", f"/api/v1/reports/{api_report}/", owner="officer_b")
        ],
        "api:report-values": [
            Case(
                "valeurs du brouillon de B",
                f"/api/v1/reports/{api_report}/values/",
                owner="officer_b",
                owner_status=405,  # PUT only
            )
        ],
        "api:report-submit": [
            Case(
                "soumettre le brouillon de B",
                f"/api/v1/reports/{api_report}/submit/",
                owner="officer_b",
                owner_status=405,
            )
        ],
        "api:report-validate": [
            Case(
                "valider le rapport soumis de B",
                f"/api/v1/reports/{b.report_b_submitted.pk}/validate/",
                owner="staff",
                owner_status=405,
            )
        ],
        "api:report-withdraw": [
            Case(
                "retirer le rapport soumis de B",
                f"/api/v1/reports/{b.report_b_submitted.pk}/withdraw/",
                owner="officer_b",
                owner_status=405,
            )
        ],
        "api:report-reject": [
            Case(
                "rejeter le rapport soumis de B",
                f"/api/v1/reports/{b.report_b_submitted.pk}/reject/",
                owner="staff",
                owner_status=405,
            )
        ],
    }
    assert key in by_key, f"pas d'adresse concrète pour {key} : ajoutez-la à targets()"
    return by_key[key]


def document_url(document) -> str:
    return reverse("contract_document", args=[document.contract_id, document.pk])


def write_payload(w: World, key: str) -> dict:
    """What a refused write sends: enough to change something if it were accepted."""
    cae = indicator("cae_2.a").pk
    return {
        "officer:report": {f"valeur-{cae}": "1", f"source-{cae}": "pirate", "submit": ""},
        "staff_report": {"action": "validate", "confirm": "on"},
        "correct_value": {"value": "1", "reason": "pirate"},
        "api:report-list": {"contract": w.contract_b.pk, "year": 2020},
        "api:report-values": {"values": [{"indicator": "cae_2.a", "value": "1"}]},
        "api:report-reject": {"reason": "pirate"},
        "officer:import": {"file": "inutile"},
    }.get(key, {"post": "yes"})


def accepted_methods(pattern) -> list[str]:
    """The methods a view answers (GET, and the writes it accepts)."""
    callback = pattern.callback
    actions = getattr(callback, "actions", None)
    if actions:  # a DRF viewset route
        return [m for m in ("get", "post", "put", "patch", "delete") if m in actions]
    view_class = getattr(callback, "view_class", None)
    if view_class is not None:
        allowed = [
            m
            for m in ("get", "post", "put", "patch", "delete")
            if m in view_class.http_method_names and hasattr(view_class, m)
        ]
        return allowed or ["get"]
    return ["get", "post"]  # function views (admin pages, healthz…)


PATTERNS_BY_KEY = {key: pattern for key, _route, _ns, pattern in ALL_PATTERNS}


# --- Actors -------------------------------------------------------------------------


def page_client(user=None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def api_client(key: str | None = None) -> APIClient:
    client = APIClient()
    if key:
        client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def send(client, method: str, url: str, payload: dict, api: bool):
    if method == "get":
        return client.get(url)
    if api:
        return getattr(client, method)(url, payload, format="json")
    return getattr(client, method)(url, payload)


def body_of(response) -> str:
    """The body, read once (files are streamed)."""
    if not hasattr(response, "_swept_body"):
        raw = b"".join(response.streaming_content) if response.streaming else response.content
        response._swept_body = raw.decode("utf-8", "replace")
    return response._swept_body


def assert_no_data(response, markers, where):
    body = body_of(response)
    leaked = [marker for marker in markers if marker in body]
    assert leaked == [], f"{where} : données de B dans la réponse {leaked}"


def location(response) -> str:
    return response.headers.get("Location", "")


def assert_login_redirect(response, where, login_path):
    assert response.status_code == 302, f"{where} : {response.status_code}"
    assert location(response).startswith(login_path), f"{where} : {location(response)}"


# --- The sweep ----------------------------------------------------------------------


def make_clients(w: World) -> dict:
    """Each actor twice: a browser session (pages) and a token (API). Logged in once,
    before any snapshot (a login writes its own log rows)."""
    users = {"officer_a": w.officer_a, "officer_b": w.officer_b, "staff": w.staff}
    keys = {**w.keys, "staff": ApiToken.issue(w.staff, "contrôle")[1]}
    return {
        "page": {"anonymous": page_client()} | {n: page_client(u) for n, u in users.items()},
        "api": {"anonymous": api_client()} | {n: api_client(k) for n, k in keys.items()},
    }


def sweep_public(w, clients, key):
    """Anyone may GET it; nothing private of B is in it. Where a case names an owner
    (an address public for some objects only), the owner reaches the object."""
    for case in targets(w, key):
        if case.owner:
            response = clients[case.owner].get(case.url)
            where = f"« {case.label} » {case.url} ({case.owner}, contrôle)"
            assert response.status_code == case.owner_status, where
            if response.status_code == 200:
                assert any(m in body_of(response) for m in B_ALL), f"{where} sans B"
        for name in ("anonymous", "officer_a"):
            where = f"« {case.label} » {case.url} ({name})"
            response = clients[name].get(case.url)
            assert response.status_code < 500, where
            if case.public_status is not None:
                assert response.status_code == case.public_status, (
                    f"{where} : {response.status_code}"
                )
            assert_no_data(response, B_PRIVATE, where)


def sweep_private(w, clients, key, klass):
    api = klass == API_AUTH
    methods = accepted_methods(PATTERNS_BY_KEY[key])
    payload = write_payload(w, key)
    for case in targets(w, key):
        where = f"« {case.label} » {case.url}"
        if case.owner:  # control: the owner reaches the object, so the URL is right
            response = clients[case.owner].get(case.url)
            assert response.status_code == case.owner_status, f"{where} (contrôle)"
            if response.status_code == 200:
                body = body_of(response)  # a file (evidence) is streamed
                assert any(m in body for m in B_ALL), f"{where} (contrôle sans B)"
        before = db_state()
        for method in methods:
            data = payload if method != "get" else {}
            where_m = f"{method.upper()} {where}"

            def request(name, method=method, url=case.url, data=data):
                return send(clients[name], method, url, data, api)

            # Anonymous: login page (officer pages), admin login (staff), 401 (API).
            response = request("anonymous")
            if klass == OFFICER:
                assert_login_redirect(response, where_m, reverse("login"))
            elif klass == STAFF:
                assert_login_redirect(response, where_m, reverse("admin:login"))
            else:
                assert response.status_code == 401, f"{where_m} : {response.status_code}"
                assert response.headers["WWW-Authenticate"] == "Token"
            assert_no_data(response, B_ALL, f"{where_m} (anonyme)")

            if klass == STAFF or key in STAFF_API:
                # Officers, B included, on staff actions: admin login / 403.
                for name in ("officer_a", "officer_b"):
                    response = request(name)
                    if klass == STAFF:
                        login = reverse("admin:login")
                        assert_login_redirect(response, f"{where_m} ({name})", login)
                    else:
                        assert response.status_code == 403, f"{where_m} ({name})"
                    assert_no_data(response, B_ALL, f"{where_m} ({name})")
            elif case.scoped:
                # Officer A on B's object: as if it did not exist.
                response = request("officer_a")
                status = response.status_code
                assert status == 404, f"{where_m} (officer_a) : {status}"
                assert_no_data(response, B_ALL, f"{where_m} (officer_a)")
            elif method == "get":
                # A's own page works, and nothing of B is on it.
                response = request("officer_a")
                assert response.status_code == 200, f"{where_m} (officer_a)"
                assert_no_data(response, B_ALL, f"{where_m} (officer_a)")
            elif key == "api:report-list":
                # Opening a report on B's contract: the contract is unknown to A.
                response = request("officer_a")
                assert response.status_code == 400, f"{where_m} (officer_a)"
                assert response.json()["errors"] == {
                    "contract": ["Contrat inconnu ou hors de votre périmètre."]
                }
                assert_no_data(response, B_ALL, f"{where_m} (officer_a)")
            assert db_state() == before, f"{where_m} : la base a changé"


STAFF_API = {"api:report-validate", "api:report-reject"}
SWEPT_CLASSES = [PUBLIC, API_PUBLIC, OFFICER, STAFF, API_AUTH]


@pytest.fixture
def request_count():
    """Counts the requests a test makes (printed: the size of the sweep)."""
    from django.core.signals import request_finished

    count = []

    def receiver(**kwargs):
        count.append(1)

    request_finished.connect(receiver)
    yield count
    request_finished.disconnect(receiver)


@pytest.mark.parametrize("klass", SWEPT_CLASSES)
def test_sweep_every_url_of_the_class(world, klass, request_count):
    """Every pattern of the class, each with B's ids: the first failure of each
    pattern is collected, so one run lists every faulty URL."""
    keys = [key for key, _route, ns, _p in ALL_PATTERNS if classify(key, ns) == klass]
    clients = make_clients(world)["api" if klass in (API_PUBLIC, API_AUTH) else "page"]
    failures = []
    for key in keys:
        try:
            if klass in (PUBLIC, API_PUBLIC):
                sweep_public(world, clients, key)
            else:
                sweep_private(world, clients, key, klass)
        except AssertionError as exc:
            failures.append(f"{key} : {str(exc).splitlines()[0]}")
    print(f"balayage {klass} : {len(keys)} motifs d'adresse, {len(request_count)} requêtes")
    assert keys
    assert failures == [], "\n".join(failures)


def admin_values(w: World, group: str) -> dict:
    """Path parameters of the admin pages of ``group``: an object of B where the
    model has one, else the first row (or 1)."""
    scoped = {
        "contracts.contract": w.draft_b,
        "contracts.target": w.draft_target_b,
        "contracts.progressreport": w.report_b_draft,
        "indicators.indicatorvalue": w.value_b_draft,
        "territories.territory": w.grande_synthe,
        "territories.officerassignment": OfficerAssignment.objects.get(user=w.officer_b),
        "tri_portal.apitoken": w.token_b,
        "auth.user": w.officer_b,
    }
    model = None
    if group != "site":
        app_label, model_name = group.split(".")
        model = ContentType.objects.get_by_natural_key(app_label, model_name).model_class()
    obj = scoped.get(group) or (model._default_manager.order_by("pk").first() if model else None)
    pk = obj.pk if obj else w.draft_b.pk  # "site": the view-on-site link of B's draft
    record = obj.history.order_by("history_id").first() if hasattr(obj, "history") else None
    history_id = record.history_id if record else 1
    ct = ContentType.objects.get_for_model(Contract)
    return {
        "object_id": pk,
        "id": pk,
        "history_id": history_id,
        "app_label": "contracts",
        "url": "inconnue/",
        "content_type_id": ct.pk,
    }


def concrete(route: str, values: dict) -> str:
    """A URL from a route mixing path converters and regular expressions."""
    url = re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(values[m[1]]), route)
    url = re.sub(r"\(\?P<(\w+)>[^)]*\)", lambda m: str(values[m[1]]), url)
    positional = iter([values["object_id"], values["history_id"]])
    url = re.sub(r"\(\[\^/\]\+\)", lambda m: str(next(positional)), url)
    return "/" + url.replace("^", "").replace("$", "")


def sweep_admin_group(w, clients, group):
    values = admin_values(w, group)
    urls = [
        (concrete(route, values), accepted_methods(pattern))
        for key, route, ns, pattern in ALL_PATTERNS
        if classify(key, ns) == ADMIN and admin_group(route) == group
    ]
    assert urls, "aucune adresse"
    admin_login, admin_index = reverse("admin:login"), reverse("admin:index")
    for url, methods in urls:
        control = clients["staff"].get(url)
        assert control.status_code < 500, f"{url} (contrôle)"
        assert not location(control).startswith(admin_login), f"{url} (contrôle)"
        for name in ("anonymous", "officer_a", "officer_b"):
            for method in methods:
                response = send(clients[name], method, url, {"post": "yes"}, api=False)
                where = f"{method.upper()} {url} ({name})"
                assert response.status_code == 302, f"{where} : {response.status_code}"
                # The admin's logout sends a non-staff user to the index, which sends
                # them to the login page.
                assert location(response).startswith((admin_login, admin_index)), where
                assert_no_data(response, B_ALL, where)


def test_sweep_every_admin_page(world, request_count):
    """Every page of every model admin (and of the admin site), with B's objects:
    anonymous and officers (B included) are sent to the admin login, GET and POST."""
    clients = make_clients(world)["page"]
    before = db_state()
    failures = []
    for group in ADMIN_GROUPS:
        try:
            sweep_admin_group(world, clients, group)
        except AssertionError as exc:
            failures.append(f"{group} : {str(exc).splitlines()[0]}")
    print(f"balayage admin : {len(ADMIN_GROUPS)} groupes, {len(request_count)} requêtes")
    assert failures == [], "\n".join(failures)
    assert db_state() == before


# --- Beyond URLs: scoped content of A's own pages --------------------------------------


def test_officer_importing_values_for_b_gets_a_french_row_error_and_nothing_saved(world):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = page_client(world.officer_a)
    content = "code_territoire;indicateur;annee;valeur;unite;source;commentaire\n"
    content += "59271;cae_2.a;2018;1;GWh;pirate;\n"
    before = db_state()

    response = client.post(
        reverse("officer:import"),
        {"file": SimpleUploadedFile("valeurs.csv", content.encode(), "text/csv")},
    )

    assert response.status_code == 200
    assert "territoire non attribué" in response.content.decode()
    assert_no_data(response, B_PRIVATE, "import de A")
    assert db_state() == before


def test_officer_session_on_the_reports_api_sees_only_their_territory(world):
    """The API also accepts the browser session (Swagger UI): same scope as a token."""
    client = page_client(world.officer_a)

    listing = client.get("/api/v1/reports/")
    detail = client.get(f"/api/v1/reports/{world.report_b_draft.pk}/")
    write = client.put(
        f"/api/v1/reports/{world.report_b_draft.pk}/values/",
        {"values": [{"indicator": "cae_2.a", "value": "1"}]},
        content_type="application/json",
    )

    assert (listing.status_code, listing.json()["count"]) == (200, 0)
    assert (detail.status_code, write.status_code) == (404, 404)
    for response in (listing, detail, write):
        assert_no_data(response, B_ALL, response.request["PATH_INFO"])
    assert IndicatorValue.objects.get(pk=world.value_b_draft.pk).value == Decimal("4321.987")
