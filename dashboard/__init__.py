"""Streamlit dashboard for nmf-explorer. All maths is a call into :mod:`nmfcore`."""
