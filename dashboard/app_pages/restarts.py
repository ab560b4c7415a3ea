"""Placeholder until its page is written."""
import streamlit as st

st.title("restarts")
st.info("This page is being built.")
