"""Themes of the TRI contracts (*thématiques*), seeded by a migration and editable in the admin."""

THEMES = [
    ("batiment", "Bâtiment"),
    ("mobilite-decarbonee", "Mobilité décarbonée"),
    ("energies-renouvelables", "Énergies renouvelables"),
    ("eclairage-public", "Éclairage public"),
    ("economie-circulaire", "Économie circulaire"),
    ("adaptation", "Adaptation au changement climatique"),
    ("numerique", "Numérique"),
    ("circuits-courts", "Circuits courts"),
    ("transition-demonstrateur", "Démonstrateur de transition écologique, sociale et économique"),
]


def sync_themes(theme_model) -> None:
    for slug, name in THEMES:
        theme_model.objects.update_or_create(slug=slug, defaults={"name": name})
