"""symopt: rediscover optimization algorithms by evolving symbolic programs."""

__version__ = "0.1.0"
