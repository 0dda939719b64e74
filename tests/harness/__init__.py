"""What tests and benchmarks share: starting the app (server), driving Chromium (browser), drawing digits (strokes),
reading the latent maps (latent_maps), a redis-server of their own (services), speaking Streamlit's protocol without
a browser (protocol), AppTest's drawings and training runs (apptest, training), spotting English in a Chinese page
(texts) and auditing a page's accessibility with axe-core (axe). No test lives here."""
