"""Public pages are cached on a data version: bump it whenever a change of public data
is committed. The signals here decouple this composition layer from the apps below it:
every save or deletion of their public models (a validation saves each value it
publishes), and every aggregate recompute (``indicators.signals``)."""

from django.db.models.signals import m2m_changed, post_delete, post_save

from contracts.models import (
    Action,
    Amendment,
    AmendmentChange,
    Contract,
    ContractDocument,
    ContractStats,
    ContractTheme,
    FinalEvaluation,
    Signatory,
    Target,
    TargetVerdict,
)
from indicators.models import Indicator, IndicatorValue, RegionalGoal
from indicators.signals import aggregates_recomputed
from kit.cache import bump_data_version_on_commit
from territories.models import Membership, Territory

for model in (
    Contract,
    Amendment,
    AmendmentChange,
    FinalEvaluation,
    TargetVerdict,
    ContractDocument,
    Target,
    Signatory,
    Action,
    ContractTheme,
    ContractStats,
    Territory,
    Membership,
    Indicator,
    IndicatorValue,
    RegionalGoal,
):
    post_save.connect(
        bump_data_version_on_commit, sender=model, dispatch_uid=f"bump-save-{model.__name__}"
    )
    post_delete.connect(
        bump_data_version_on_commit, sender=model, dispatch_uid=f"bump-delete-{model.__name__}"
    )
m2m_changed.connect(
    bump_data_version_on_commit, sender=Contract.themes.through, dispatch_uid="bump-themes"
)
aggregates_recomputed.connect(bump_data_version_on_commit, dispatch_uid="bump-aggregates")
