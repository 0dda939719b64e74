"""The web app's room: everything Streamlit. app.py (at the repository's root, so `streamlit run app.py` works) runs
the pages in views/ with the sidebar; session.py owns the session's state; ui.py loads the shipped models; components/
holds our own components and i18n/ the texts. The maths lives beside this folder, in vaedemo/, which knows nothing of
Streamlit."""
