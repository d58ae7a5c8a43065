"""Build step only (the project is described in pyproject.toml): the wheel carries the shipped
templates and the sample rules.yaml as package data under docgen/sample/, read through
importlib.resources by `docgen init`. Their one copy lives at the repository root, which is
itself the demo workspace, so they are copied in when the package is built."""

from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent


class BuildWithSample(build_py):
    def run(self):
        super().run()
        target = Path(self.build_lib) / "docgen" / "sample"
        files = [ROOT / "rules.yaml", *(p for p in sorted((ROOT / "templates").iterdir())
                                        if p.suffix in (".docx", ".yaml"))]
        for source in files:
            self.mkpath(str(target / source.parent.relative_to(ROOT)))
            self.copy_file(str(source), str(target / source.relative_to(ROOT)))


setup(cmdclass={"build_py": BuildWithSample})
