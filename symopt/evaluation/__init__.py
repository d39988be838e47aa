"""Evaluation of optimizer programs on proxy tasks (see docs/evaluator.md).

``make_evaluator(funnel, strategy="auto", lr_grid=False).evaluate(programs, stage)`` -> fitness list
(lower is better, 1.0 = AdamW, ``math.inf`` = invalid or diverged).
"""

from symopt.evaluation.evaluator import Evaluator, make_evaluator

__all__ = ["Evaluator", "make_evaluator"]
