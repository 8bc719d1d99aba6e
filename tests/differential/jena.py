"""Apache Jena from Debian's ``libapache-jena-java`` (4.5), run by :file:`JenaBatch.java`.

Debian ships Jena's jars without a launcher, and with its xerces message bundles left at
``org/apache/jena/ext/xerces/`` while the relocated classes look for them under ``xerces/``:
without a copy there, ``JenaSystem.init`` fails with "internal error". :func:`classpath`
extracts that copy (once, into a cache folder) and lists the jars. :file:`JenaBatch.java` runs
through Java's source-file launcher (nothing to build) and answers many queries, or validates
many files, in one JVM (a JVM start is about 2.5 s).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import zipfile
from pathlib import Path

JAVA_DIR = Path("/usr/share/java")
HERE = Path(__file__).parent
BATCH = HERE / "JenaBatch.java"
#: the jars of Jena and of the libraries it uses (Debian's unversioned names)
JARS = ("jena-arq", "jena-base", "jena-cmds", "jena-core", "jena-iri", "jena-shacl",
        "jena-shex", "jena-rdfconnection", "jena-dboe-base", "jena-dboe-index",
        "jena-dboe-storage", "jena-dboe-trans-data", "jena-dboe-transaction", "jena-tdb",
        "jena-tdb2", "commons-cli", "commons-codec", "commons-compress", "commons-csv",
        "commons-io", "commons-lang3", "dexx.collection", "gson", "guava", "httpclient",
        "httpcore", "jackson-core", "jackson-databind", "jackson-annotations", "jsonld-java",
        "jakarta.json-api", "protobuf", "slf4j-api", "slf4j-nop", "thrift",
        "titanium-json-ld")
XERCES_PREFIX = "org/apache/jena/ext/xerces/"


def missing() -> str | None:
    """What is missing to run Jena (None: nothing)."""
    if shutil.which("java") is None:
        return "java (default-jdk-headless)"
    absent = [j for j in ("jena-arq", "jena-core", "jena-shacl")
              if not (JAVA_DIR / f"{j}.jar").is_file()]
    return f"Apache Jena ({', '.join(absent)}.jar: libapache-jena-java)" if absent else None


def require() -> None:
    """Fail the calling test (or skip it, with ``METROGRAPH_SKIP_SERVERS=1``) when Jena cannot
    run here, saying what to install."""
    import pytest

    from ..servers import SKIP_ENV

    absent = missing()
    if absent:
        if os.environ.get(SKIP_ENV) == "1":
            pytest.skip(f"{absent} is not installed")
        pytest.fail(f"{absent} is not installed: run scripts/install-test-tools.sh, or set "
                    f"{SKIP_ENV}=1 to skip these tests", pytrace=False)


def classpath(cache: Path) -> str:
    """Jena's classpath, with the xerces message bundles copied under ``cache/xerces/``."""
    target = cache / "jena-xerces"
    if not (target / "xerces").is_dir():
        staging = cache / "jena-xerces.partial"
        shutil.rmtree(staging, ignore_errors=True)
        with zipfile.ZipFile(JAVA_DIR / "jena-core.jar") as jar:
            for name in jar.namelist():
                if name.startswith(XERCES_PREFIX) and not name.endswith("/"):
                    out = staging / "xerces" / name[len(XERCES_PREFIX):]
                    out.parent.mkdir(parents=True, exist_ok=True)
                    out.write_bytes(jar.read(name))
        shutil.rmtree(target, ignore_errors=True)
        staging.rename(target)
    jars = [str(JAVA_DIR / f"{j}.jar") for j in JARS if (JAVA_DIR / f"{j}.jar").is_file()]
    return ":".join([*jars, str(target)])


def run(cache: Path, mode: str, first: Path, outdir: Path, files: list[Path],
        timeout: float = 240) -> None:
    """Run :file:`JenaBatch.java` (``mode`` query or shacl) on ``files``; results in ``outdir``.
    Raises :class:`RuntimeError` with Jena's own message when the JVM fails."""
    args = ["java", "-Xmx512m", "-cp", classpath(cache), str(BATCH), mode, str(first),
            str(outdir), *map(str, files)]
    done = subprocess.run(args, capture_output=True, timeout=timeout, check=False,
                          stdin=subprocess.DEVNULL)
    if done.returncode != 0:
        raise RuntimeError(f"Jena failed ({done.returncode}): "
                           f"{done.stderr.decode(errors='replace')[-2000:]}")
