"""Imported by the forkserver at its start (a preload module): the forkserver then dies with the
process that started it, and the pool processes it forks die with it (see ``die_with_parent``)."""

from yizhi.engine import die_with_parent

die_with_parent()
