"""Community resolutions for sexual offences, from the Home Office crime outcomes open data.

The package reads every published vintage of the outcomes open data and the police force
area recorded-crime file into tidy tables, caches them, and generates a synthetic sample
in the published layout for offline use and tests.
"""

__version__ = "0.1.0"
