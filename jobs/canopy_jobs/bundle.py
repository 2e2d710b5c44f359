"""Zip the canopy_jobs package for spark-submit --py-files (what Livy is given on HDInsight)."""
import os
import sys
import zipfile


def write_bundle(jobs_dir: str, zip_path: str) -> str:
    package_dir = os.path.join(jobs_dir, "canopy_jobs")
    with zipfile.ZipFile(zip_path, "w", zipfile.ZIP_DEFLATED) as bundle:
        for name in sorted(os.listdir(package_dir)):
            if name.endswith(".py"):
                bundle.write(os.path.join(package_dir, name), f"canopy_jobs/{name}")
    return zip_path


if __name__ == "__main__":
    write_bundle(sys.argv[1], sys.argv[2])
