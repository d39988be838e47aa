"""The program language of symopt: IR, function table, parsing and printing, analysis, hashing, mutation."""

from search_space.errors import InputError, ProgramError
from search_space.ops import EPS, OPS, Op, get_op
from search_space.parse import parse, parse_file
from search_space.printer import format_program, one_line
from search_space.program import Program, Statement

__all__ = [
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
