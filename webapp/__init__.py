"""The Streamlit app: app.py (at the repository's root, so `streamlit run app.py` works) runs the pages in views/ with
the sidebar; session.py owns the session's state; ui.py loads the shipped models; components/ holds our own
components (their JavaScript beside them) and i18n/ the texts. It uses the hall's service (hall/: rooms, training
line, room API) and the library (vaedemo/: the maths); neither knows of Streamlit."""
