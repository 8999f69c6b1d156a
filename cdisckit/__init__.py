"""cdisckit: raw clinical-trial exports -> SDTM -> ADaM -> checks -> XPT v5 / Dataset-JSON / define.xml / reports."""

__version__ = "0.1.0"
