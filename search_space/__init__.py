"""The program language of symopt: IR, function table, parsing and printing, analysis, hashing, mutation."""

from search_space.analysis import Analysis, analyze, check, prune
from search_space.errors import InputError, ProgramError
from search_space.hashing import functional_hash
from search_space.mutation import Mutation, Mutator
from search_space.ops import EPS, OPS, Op, get_op
from search_space.parse import parse, parse_file
from search_space.printer import format_program, one_line
from search_space.program import Program, Statement
from search_space.seeds import load_seed, seed_names
from search_space.spaces import Space, load_space

__all__ = [
    "Analysis",
    "Mutation",
    "Mutator",
    "Space",
    "analyze",
    "check",
    "functional_hash",
    "load_seed",
    "load_space",
    "prune",
    "seed_names",
    "EPS",
    "InputError",
    "OPS",
    "Op",
    "Program",
    "ProgramError",
    "Statement",
    "format_program",
    "get_op",
    "one_line",
    "parse",
    "parse_file",
]
