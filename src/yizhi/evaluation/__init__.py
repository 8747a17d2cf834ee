"""Evaluation center (测评中心): benchmarks on hidden dataset versions, safe execution of submitted ONNX
models, multidimensional signed reports, leaderboards and competitions.

Pure algorithms (task contracts, metrics, the bootstrap, ONNX checks, robustness perturbations,
report assembly and rendering) import neither the web layer nor the database; ``service`` holds the
rules, ``tasks`` the scoring job, ``runner`` the one place submitted models are executed.
"""

EVALUATOR_VERSION = "yizhi-evaluation/1.0"
