"""Run by every kernel ``qilab lab`` starts (``PYTHONSTARTUP``), before the kernel says it is ready.

A learner's Run All would otherwise begin by importing pandas, Altair and QI Lab (seconds on a
ward PC). Importing them while the kernel starts (the learner is still reading the page) makes
the first chart appear within a couple of seconds of the click. Nothing else is done here:
the learner's namespace is left empty, as in any fresh kernel.
"""

import qilab.datasets

import qilab
import qilab.curriculum
import qilab.measure

del qilab
