"""The options of the search algorithm, typed and validated once.

The same :class:`EvolveOptions` drives :func:`symopt.search.evolve` (keyword
arguments) and ``symopt search`` (the ``[evolution]`` section of the config
plus ``search.lr_linear``).  A bad value is one :class:`UserError` line naming
the option.

>>> EvolveOptions(tournament=5).tournament
5
>>> EvolveOptions.from_kwargs({"populaton": 10})
Traceback (most recent call last):
...
symopt.errors.UserError: unknown option 'populaton' (did you mean 'population'?)
"""

from __future__ import annotations

import dataclasses
import difflib
from typing import TYPE_CHECKING

from symopt.errors import UserError

if TYPE_CHECKING:
    from symopt.config import Config


@dataclasses.dataclass(frozen=True)
class EvolveOptions:
    """Options of the search algorithm (see docs/search.md for what each does).

    The defaults are the settings that reached planted targets most often in
    ``symopt bench planted --ablation`` (docs/search.md).

    Args:
      population: members of the population (all islands together).
      tournament: members drawn per tournament; the best is mutated.
      niche_limit: max copies of one functional hash in an island (0 = no limit).
      islands: independent populations; ``migrate_every`` tells between migrations
        (each island's best replaces the oldest member of the next island).
      restart_seed_every: candidates between restarts from the seed program (0 = never).
      restart_best_plateau: candidates without a new best before the population
        restarts from the best (0 = never).
      tune_variants: constant variants of each new best, scored together (0 = off).
      lr_linear: reject programs whose update does not scale linearly with ``lr``.
      batch: candidates per fitness call (``evolve``) or per worker job (``search``).
    """

    population: int = 100
    tournament: int = 10
    niche_limit: int = 0
    islands: int = 4
    migrate_every: int = 250
    restart_seed_every: int = 0
    restart_best_plateau: int = 0
    tune_variants: int = 8
    lr_linear: bool = True
    batch: int = 16

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            want = bool if f.type in ("bool", bool) else int
            if want is int and (isinstance(value, bool) or not isinstance(value, int)):
                raise UserError(f"option {f.name!r} must be an integer, got {value!r}")
            if want is bool and not isinstance(value, bool):
                raise UserError(f"option {f.name!r} must be true or false, got {value!r}")
            if want is int and value < 0:
                raise UserError(f"option {f.name!r} must be >= 0, got {value!r}")
        for name in ("population", "tournament", "islands", "batch"):
            if getattr(self, name) < 1:
                raise UserError(f"option {name!r} must be >= 1, got {getattr(self, name)!r}")
        if self.islands > self.population:
            raise UserError(f"option 'islands' ({self.islands}) exceeds 'population' ({self.population})")
        if self.tournament > self.island_size:
            raise UserError(f"option 'tournament' ({self.tournament}) exceeds the population of an island "
                            f"({self.island_size} = population {self.population} / islands {self.islands})")

    @property
    def island_size(self) -> int:
        """Members of one island's population (``population // islands``)."""
        return self.population // self.islands

    @classmethod
    def names(cls) -> tuple[str, ...]:
        """The options' names.

        Returns:
          The field names, in declaration order.

        >>> EvolveOptions.names()[:3]
        ('population', 'tournament', 'niche_limit')
        """
        return tuple(f.name for f in dataclasses.fields(cls))

    @classmethod
    def from_kwargs(cls, options: dict) -> EvolveOptions:
        """Options from keyword arguments.

        Args:
          options: option name -> value (the others keep their defaults).

        Returns:
          The validated options.

        Raises:
          UserError: an unknown name (one line with the closest known one) or a bad value.
        """
        for key in options:
            if key not in cls.names():
                close = difflib.get_close_matches(key, cls.names(), n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else f" (known: {', '.join(cls.names())})"
                raise UserError(f"unknown option {key!r}{hint}")
        return cls(**options)

    @classmethod
    def from_config(cls, cfg: Config) -> EvolveOptions:
        """Options of a resolved ``symopt search`` config.

        Args:
          cfg: the configuration; its ``[evolution]`` section, ``search.lr_linear`` and ``ray.batch_size`` are read.

        Returns:
          The validated options.

        >>> from symopt.config import load_config
        >>> cfg = load_config(overrides={"evolution": {"population": 12, "tournament": 3}})
        >>> o = EvolveOptions.from_config(cfg)
        >>> (o.population, o.tournament, o.batch) == (12, 3, cfg.ray.batch_size)
        True
        """
        ev = dataclasses.asdict(cfg.evolution)
        keys = {k: ev[k] for k in cls.names() if k in ev}
        return cls(**keys, lr_linear=cfg.search.lr_linear, batch=cfg.ray.batch_size)
