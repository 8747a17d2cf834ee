"""Compile modules of a COPY of src/ in place with Cython 3 (pure-Python mode: the .py files as they are).

    cd COPY/src && PYTHONPATH=TOOLS python build_cython.py [--typed] a/b.py,c/d.py,...
--typed lets Cython read the annotations as C types (annotation_typing); --infer also infers C types
for untyped locals (infer_types=True). Typed, Cython rejects
tagger._runs's ``breaks: list[int] = ()`` (a tuple default), which the copy must drop first.
Never run on the working tree: the .so files would shadow the .py sources."""

import sys

from Cython.Build import cythonize
from setuptools import setup

typed = "--typed" in sys.argv
infer = True if "--infer" in sys.argv else None
modules = [arg for arg in sys.argv[1:] if not arg.startswith("--")][0].split(",")
setup(ext_modules=cythonize(modules, quiet=True,
                            compiler_directives={"language_level": 3, "binding": False, "annotation_typing": typed,
                                                 "infer_types": infer}),
      script_args=["build_ext", "--inplace", "-j", "2"])
