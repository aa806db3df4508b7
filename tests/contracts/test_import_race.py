"""The import checks every row, then writes in one transaction: a report submitted
between the two is seen when the reports are locked for the write, and then nothing
is written (the checks of ``contracts.imports.checking`` are not trusted blindly by
``contracts.imports.writing``)."""

from datetime import date
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile

from contracts import imports, services
from contracts.models import ProgressReport, ReportStatus
from indicators.models import IndicatorValue
from territories.models import OfficerAssignment
from tests.contracts.factories import ContractFactory, TargetFactory, indicator, signable
from tests.factories import UserFactory


def test_a_report_submitted_between_the_checks_and_the_write_receives_nothing(
    fourmies, monkeypatch
):
    staff = UserFactory(is_staff=True)
    officer = UserFactory()
    OfficerAssignment.objects.create(user=officer, territory=fourmies)
    contract = ContractFactory(territory=fourmies)
    TargetFactory(contract=contract)
    contract = services.sign_contract(signable(contract), staff, signed_on=date(2017, 10, 24))
    submitted = services.open_report(contract, 2018, officer)
    services.save_report_values(
        submitted, [services.ReportedValue(indicator("cae_2.a"), "900")], officer
    )

    class SubmittedMeanwhile(imports._Checker):
        """The checks pass; then, before the write, the officer submits the report."""

        def __init__(self, rows, user):
            super().__init__(rows, user)
            assert self.errors == []
            services.submit_report(submitted, officer)

    monkeypatch.setattr(imports, "_Checker", SubmittedMeanwhile)
    upload = SimpleUploadedFile(
        "valeurs.csv",
        (
            ";".join(imports.COLUMNS)
            + "\n59249;cae_2.a;2018;950;GWh;;\n59249;cae_2.a;2019;960;GWh;;\n"
        ).encode(),
    )

    result = imports.import_values(upload, officer)

    assert result.errors == [
        (2, "rapport déjà soumis : il n'est plus modifiable (rapport 2018 « soumis »).")
    ]
    assert (result.rows, result.created, result.updated, result.reports) == (0, 0, 0, [])
    assert IndicatorValue.objects.get(report=submitted).value == Decimal("900")
    assert list(ProgressReport.objects.values_list("year", "status")) == [
        (2018, ReportStatus.SUBMITTED)
    ]
