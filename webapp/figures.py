"""The pages' figures, each one function that its page and the lesson (webapp/lesson.py) both call: one
implementation of each. A figure draws itself where it is called; one with latent maps returns the models it packed
for the browser, which the caller sends once with every other model of its run (components.latent_map.send_models).
"""
import streamlit as st
import torch

from vaedemo.compare import checkpoint_figures, farthest_from_codes, interpolation, prior_samples, shared_limit
from vaedemo.evaluate import ACTIVE_KL, active_units
from vaedemo.latent import HOLE, LIMIT, SPAN, STEPS, manifold_grid, manifold_picture, picked
from vaedemo.repair import denoising_noise, error_picture, error_scale_picture, fill_in, mean_abs_error, repair
from vaedemo.viz import enlarge, image_grid, to_uint8
from webapp import session, sidebar, ui
from webapp.components.dimensions import dimension_rows
from webapp.components.latent_map import BrowserModel, browser_model, interpolation_slider, latent_map, send_marks
from webapp.i18n import t

URL = "query-params"
PRIOR_GRID = 8  # prior samples: PRIOR_GRID x PRIOR_GRID decodes for each model
WALK_STEPS = 10  # interpolation: decodes along the line, both ends included
REPAIR_SCALE = 8  # each MNIST pixel as an 8x8 square
STAR_SCALE = 0.45  # a room's drawings on a map, hundreds of stars: small enough to leave the test codes in sight


def test_reconstructions(latent_dim: int):
    """Two test images of each class in a row, and under them the AE's and the VAE's reconstructions (Test digits)."""
    data = sidebar.dataset()
    images, labels = ui.test_sample()
    picks = torch.stack([torch.nonzero(labels == label)[k, 0] for k in range(2) for label in range(10)])
    x = images[picks]  # (20, 1, 28, 28)
    rows = {t("home.test_row", noun=data.noun): (x, t("home.alt_test", count=len(x), noun=data.noun))}
    with torch.inference_mode():
        for kind in ("ae", "vae"):
            model = ui.model(kind, latent_dim)
            name = f"{kind.upper()} ({model.latent_dim}-D)"
            rows[name] = (model.decode(model.latent_mean(x)),
                          t("home.alt_rebuilt", name=name, count=len(x), noun=data.noun))
    for name, (row, alt) in rows.items():
        st.caption(name)
        st.image(image_grid(row, ncol=20, scale=3), width="stretch", alt=alt)


def chosen(kind: str, latent_dim: int):
    """(model, test-sample codes) of this kind and size: the session's own where the sidebar says so and its
    latent size fits, else the shipped one (a caption says so)."""
    model = ui.model(kind, latent_dim)
    if model.latent_dim == latent_dim:
        return model, ui.codes(kind, latent_dim)
    st.caption(t("compare.stands_in", kind=kind.upper(), theirs=model.latent_dim, latent_dim=latent_dim))
    return ui.shipped(kind, latent_dim), ui.shipped_codes(kind, latent_dim)


def prior_samples_through(models, seed: int) -> torch.Tensor:
    """The same codes drawn from the prior N(0, I) through each model's decoder, side by side (the AE's holes);
    returns the codes (PRIOR_GRID², 2)."""
    z = prior_samples(PRIOR_GRID * PRIOR_GRID, 2, seed)  # (PRIOR_GRID², 2)
    with torch.inference_mode():
        for column, model in zip(st.columns(len(models), gap="large"), models):
            grid = t("compare.prior_grid", kind=model.kind.upper(), count=PRIOR_GRID * PRIOR_GRID, seed=seed)
            column.image(image_grid(model.decode(z), ncol=PRIOR_GRID, scale=2), width="stretch", caption=grid, alt=grid)
    st.caption(t("compare.prior_note", count=PRIOR_GRID * PRIOR_GRID, noun=sidebar.dataset().noun))
    return z


def latent_explorer(key: str = "latent", bind: bool = True, maths: bool = True, holes: bool = False) -> BrowserModel:
    """The 2-D VAE's latent map, decoded in the browser under the pointer; a click (or the sliders z1, z2) picks a
    code, shown on the decoder's whole manifold with log p(z) there; a toggle shades the map where the prior has
    holes (Latent space). key names the widgets (key_z1, key_z2, key_holes, key_map); bind: they live in the address
    bar too; maths: the prior's panel under the manifold; holes: the toggle's first value. Returns the model packed
    for the browser."""
    data = sidebar.dataset()
    mine = session.my_model()
    if (
        mine is not None
        and session.using_mine(mine.kind, session.current_dataset())
        and (mine.kind, mine.latent_dim) != ("vae", 2)
    ):
        st.info(t("latent.not_2d_vae", latent_dim=mine.latent_dim, kind=mine.kind.upper()))
        model, codes = ui.shipped("vae", 2), ui.shipped_codes("vae", 2)
    else:
        model, codes = ui.model("vae", 2), ui.codes("vae", 2)
    images, labels = ui.test_sample()
    shown = browser_model(model, codes, labels)
    row_key = f"{key}_row"
    st.session_state.setdefault(row_key, None)

    def on_pick():
        choice = picked(st.session_state[f"{key}_map"].pick, codes)
        if choice is not None:
            (z1, z2), row = choice
            st.session_state.update({f"{key}_z1": round(z1, 2), f"{key}_z2": round(z2, 2), row_key: row})

    def on_slide():
        st.session_state[row_key] = None

    @st.fragment
    def explore():  # a pick reruns only this
        controls, map_column, grid_column = st.columns([1, 3, 2])
        with controls:
            z1, z2 = (st.slider(name, -LIMIT, LIMIT, 0.0, step=0.05, key=f"{key}_{name}", on_change=on_slide,
                                bind=URL if bind else None) for name in ("z1", "z2"))
            shaded = st.toggle(t("latent.holes"), holes, key=f"{key}_holes", help=t("latent.holes_help"), wrap=True,
                               bind=URL if bind else None)
            row = st.session_state[row_key]
            if row is not None:
                clicked = t("latent.clicked", name=data.classes[labels[row]])
                st.image(enlarge(to_uint8(images[row : row + 1])[0], 4), caption=clicked, alt=clicked, width=112)
        with map_column:
            density = ui.prior_holes_of(model) if shaded else None
            title = t("latent.map_title_holes" if shaded else "latent.map_title", count=len(codes), noun=data.noun)
            send_marks(latent_map(f"{key}_map", shown, title, data.classes, bounds=(-LIMIT, LIMIT, -LIMIT, LIMIT),
                                  z=torch.tensor([z1, z2]), pick=True, on_pick=on_pick, height=0.8, density=density))
            if shaded:
                st.caption(t("latent.holes_note", count=len(codes), noun=data.noun, share=density.hole_share(),
                             hole=HOLE))
        with grid_column:
            st.image(manifold_picture(manifold_grid(model), (z1, z2)), caption=t("latent.manifold"), width="stretch",
                     alt=t("latent.alt_manifold", noun=data.noun, z1=z1, z2=z2))
            if maths:
                ui.prior_panel((z1, z2))

    explore()
    return shown


def walk(key: str, models: dict, x_start: torch.Tensor, x_end: torch.Tensor, size: str) -> dict[str, BrowserModel]:
    """Walks between two images x_start and x_end (each (1, 1, 28, 28)) in the codes of each of models
    ({kind: (model, test codes)}): a row of decodes along the straight line for each, and a slider that decodes in
    the browser as it is dragged (Compare). size names the codes ("2-D"). Returns the models packed for the browser."""
    labels = ui.test_sample()[1]
    packed = {kind: browser_model(model, codes, labels) for kind, (model, codes) in models.items()}
    ends = {}
    for kind, (model, codes) in models.items():
        with torch.inference_mode():
            ends[kind] = model.latent_mean(torch.cat([x_start, x_end]))  # (2, d)
        st.image(image_grid(interpolation(model, x_start, x_end, WALK_STEPS), ncol=WALK_STEPS, scale=3),
                 width="stretch", caption=t("compare.walk_row", kind=model.kind.upper(), size=size, steps=WALK_STEPS,
                                            strays=farthest_from_codes(codes, *ends[kind])),
                 alt=t("compare.alt_walk", kind=model.kind.upper(), steps=WALK_STEPS))
    st.caption(t("compare.slider_note"))
    interpolation_slider(key, list(packed.values()), [f"{kind.upper()} ({size})" for kind in packed],
                         [tuple(ends[kind]) for kind in packed])
    return packed


def beta_trade_off(key: str, z: torch.Tensor, grid_caption: str) -> list[BrowserModel]:
    """The shipped 2-D MNIST beta-VAEs side by side: each one's map, test figures, active units and the first 16 of
    the prior codes z (M, 2) through its decoder, over grid_caption (Compare). Returns the models packed for the
    browser."""
    betas = {beta: vae for beta in ui.BETAS if (vae := ui.shipped_beta(beta)) is not None}
    if len(betas) < len(ui.BETAS):
        st.info(t("compare.not_shipped", betas=", ".join(f"{b:g}" for b in ui.BETAS if b not in betas)))
    beta_codes = {beta: ui.shipped_beta_codes(beta) for beta in betas}
    limit = shared_limit(*beta_codes.values())
    mnist_labels = ui.test_sample("mnist")[1]
    packed = []
    for column, (beta, vae) in zip(st.columns(len(betas)), betas.items()):
        figures = checkpoint_figures(vae)
        packed.append(browser_model(vae, beta_codes[beta], mnist_labels))
        with column:
            latent_map(f"{key}_{beta:g}", packed[-1], f"β = {beta:g}", sidebar.dataset("mnist").classes,
                       bounds=(-limit, limit, -limit, limit), circles=(1, 2), height=0.85)
        column.markdown(t("compare.beta_figures", recon=figures["reconstruction"], kl=figures["KL"],
                          elbo=figures["-ELBO"], epochs=vae.metadata["epochs"]))
        kl = ui.kl_by_dimension(vae)
        column.markdown(t("compare.units", active=active_units(kl), latent_dim=vae.latent_dim,
                          kl=", ".join(f"{value:.2f}" for value in kl.tolist())))
        with torch.inference_mode():
            column.image(image_grid(vae.decode(z[:16]), ncol=8, scale=2), width="stretch",
                         caption=grid_caption, alt=t("compare.alt_beta_grid", beta=f"{beta:g}"))
    st.caption(t("compare.units_note", count=len(mnist_labels), kl=f"{ACTIVE_KL:g}"))
    epochs = {vae.metadata["epochs"] for vae in betas.values()}
    if len(epochs) > 1:
        st.caption(t("compare.epochs_differ", epochs=", ".join(sorted(epochs, key=int))))
    return packed


def dimensions(key: str, vae, x: torch.Tensor, most: int | None = None) -> BrowserModel:
    """Each latent dimension of the VAE moved alone around the code of x (1, 1, 28, 28), a row each, decoded in the
    browser (vaedemo.latent.traversal), the rows sorted by the dimension's KL on the test sample, most used first,
    an unused one (KL under ACTIVE_KL) greyed (Dimensions). most: only the most used rows but one, and the least used
    (the lesson's one screen). Returns the model packed for the browser."""
    kl = ui.kl_by_dimension(vae).tolist()
    with torch.inference_mode():
        z = vae.latent_mean(x)[0]  # (d,)
    order = sorted(range(len(kl)), key=lambda i: -kl[i])
    if most is not None:
        order = order[:most - 1] + order[-1:]
    rows = [{"index": i, "name": f"z{i + 1}", "label": t("dimensions.row", i=i + 1, kl=kl[i]),
             "unused": kl[i] < ACTIVE_KL} for i in order]
    shown = ui.packed(vae)
    dimension_rows(key, shown, z, rows, steps=STEPS, span=SPAN)
    return shown


def repair_label(model, yours: bool) -> str:
    """E.g. "VAE, 16-D", "conv AE, 16-D" or "Your VAE, 16-D, denoising (trained on noise 0.3)"."""
    name = (t("draw.conv_name") if model.config.arch == "conv" else "") + model.kind.upper()
    label = t("repair.your_model" if yours else "repair.model", name=name, latent_dim=model.latent_dim)
    noise = denoising_noise(model)
    return t("repair.denoising", label=label, noise=f"{noise:g}") if noise else label


def repair_models(latent_dim: int, conv: bool) -> list:
    """The models that repair: the AE and the VAE of this size (the conv pair, or the session's own where the sidebar
    says so), the shipped denoising VAE, and the session's own model, each once."""
    mine = session.my_model()
    if mine is not None and session.trained_on(mine) != session.current_dataset():
        mine = None  # trained on the other data set
    models = []  # each model once: with "use my model" on, ui.model already is the session's own
    pair = [ui.shipped(kind, 16, arch="conv") if conv else ui.model(kind, latent_dim) for kind in ("ae", "vae")]
    for model in (*pair, ui.shipped_denoising(latent_dim), mine):
        if model is not None and all(model is not other for other in models):
            models.append(model)
    return models


def repairs(clean: torch.Tensor, damaged: torch.Tensor, models: list, block=None, fill_only: bool = False):
    """The clean image, the damaged one and each model's repair of it (each (1, 1, 28, 28)), with their errors and
    error maps lined up in three rows, and which model came closest (Repair). block: the erased region (top, left,
    height, width) that fill_only confines the repair to."""
    noun = sidebar.dataset().noun
    clean_name, damaged_name = t("repair.clean", noun=noun), t("repair.damaged")
    pictures = {clean_name: clean, damaged_name: damaged}
    for model in models:
        repaired = fill_in(model, damaged, block) if fill_only else repair(model, damaged)
        pictures[repair_label(model, model is session.my_model())] = repaired
    errors = {name: float(mean_abs_error(picture, clean)) for name, picture in pictures.items()}
    # Three rows of columns, so that the pictures, the figures and the error maps each line up across the models.
    alts = {clean_name: clean_name, damaged_name: t("repair.alt_damaged", noun=noun)}
    for column, (name, picture) in zip(st.columns(len(pictures)), pictures.items()):
        alt = alts.get(name) or t("repair.alt_repaired", name=name, noun=noun)
        column.image(enlarge(to_uint8(picture)[0], REPAIR_SCALE), caption=name, alt=alt, width="stretch")
    for column, name in zip(st.columns(len(pictures)), pictures):
        if name == clean_name:
            column.caption(t("repair.error_note", noun=noun))
        else:
            delta = None if name == damaged_name else f"{errors[name] - errors[damaged_name]:+.3f}"
            column.metric(t("repair.error"), f"{errors[name]:.3f}", delta=delta, delta_color="inverse")
    for column, (name, picture) in zip(st.columns(len(pictures)), pictures.items()):
        if name == clean_name:
            column.image(error_scale_picture(), caption=t("repair.error_scale"), alt=t("repair.error_scale"),
                         width="stretch")
        else:
            column.image(error_picture(picture, clean, REPAIR_SCALE), caption=t("repair.error_map"), width="stretch",
                         alt=t("repair.alt_error_map", name=name, noun=noun))
    best = min((name for name in pictures if name not in (clean_name, damaged_name)), key=errors.get)
    closer = "repair.best_closer" if errors[best] < errors[damaged_name] else "repair.best_not_closer"
    st.caption(t(closer, best=best, error=errors[best], noun=noun, damaged=errors[damaged_name]))


def style_as_every_digit(cvae, z1: float, z2: float, where=st):
    """The conditional VAE's decoder writing one style z = (z1, z2) as each digit 0-9, in a row (Every digit)."""
    with torch.inference_mode():
        row = cvae.decode_every_label(torch.tensor([z1, z2]))  # (10, 1, 28, 28)
    caption = t("every_digit.row", z1=z1, z2=z2)
    where.image(image_grid(row, ncol=10, scale=3), width="stretch", caption=caption, alt=caption)


def every_digit_cvae():
    """The session's own CVAE where the sidebar says so and its codes are 2-D (the style space is a plane), else
    the shipped one (a caption says so)."""
    cvae = ui.model("cvae", 2, "mnist")
    if cvae.latent_dim == 2:
        return cvae
    st.caption(t("every_digit.stands_in", latent_dim=cvae.latent_dim))
    return ui.shipped("cvae", 2, "mnist")


def room_handwriting(key: str, learned, vae, height: float, text: float) -> list[BrowserModel]:
    """What a room learned of its handwriting (the Class page, the lesson): its drawings, one star each, on the shipped
    VAE-2D's map and on the room's own VAE's (vae, of learned: hall.rooms.Learned), side by side, then -log p(x) under
    each and what the difference means. Returns both models packed; the maps' marks go under key."""
    shipped, figures = ui.shipped("vae", 2, "mnist"), learned.figures
    models = [browser_model(shipped, ui.shipped_codes("vae", 2, "mnist"), ui.test_sample("mnist")[1]), ui.packed(vae)]
    marks = []
    for column, name, model in zip(st.columns(2), ("shipped", "room"), models):
        with column:
            marks.append(latent_map(f"{key}_{name}", model, t(f"class.map_{name}", drawings=figures["drawings"]),
                                    sidebar.dataset("mnist").classes, bounds=(-4, 4, -4, 4), height=height, text=text,
                                    stars=[[x, y] for x, y, _ in figures[name]], star_scale=STAR_SCALE))
    send_marks(*marks, key=f"marks_{key}")
    shipped_nll, room_nll = figures["nll"]
    st.markdown(t("class.nll", a=shipped_nll, b=room_nll))
    st.caption(t("class.nll_meaning", difference=shipped_nll - room_nll, drawings=figures["drawings"]))
    return models
