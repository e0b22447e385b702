"""examqa: would this answer sheet pass the Korean licence exam?"""

__version__ = "0.1.0"
