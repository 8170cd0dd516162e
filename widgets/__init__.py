"""Interactive simulations (ipywidgets): each a model, testable alone, and a view."""
