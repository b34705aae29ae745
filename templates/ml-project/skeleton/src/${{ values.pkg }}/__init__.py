"""The ${{ values.name }} model: training, evaluation and data."""

DESCRIPTION = ${{ values.description | dump }}
__version__ = "0.1.0"
