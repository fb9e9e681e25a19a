"""The bottom floor: typed models, settings, errors and text utilities.

Nothing here imports anything else of the project.
"""
