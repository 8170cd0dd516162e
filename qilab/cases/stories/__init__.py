"""The data work behind each case notebook: one module per case, so the notebooks hold only
the story and calls like ``story.before_after_chart()`` (Voila hides code, and a tutor can
test every number a case quotes).

Every function returns an Altair chart and a sentence describing it (for screen readers), or a
small table; all data are the synthetic data sets of :mod:`qilab.datasets` or seeded models.
"""
