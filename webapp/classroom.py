"""The classroom in the app: the room store of this process (hall.rooms), joining a room from the address bar, the
sidebar's room box, the lecturer's "send the class here", the members' prompt to follow, and what a drawing pad needs
to post into the room (drawings go from the browser to the room API, hall/room_api.py). No torch here: the sidebar
shows before the models load."""
import ipaddress
import os
import time
from urllib.parse import urlsplit

import segno
import streamlit as st
from streamlit.net_util import get_internal_ip

from hall.room_api import PUBLIC_URL
from hall.rooms import RoomError, Unreachable, normalise_code, store
from webapp import session
from webapp.components.room import room_follow
from webapp.i18n import t

FOLLOW_POLL_S = 2.5  # a member's page asks the room API this often whether the lecturer sent the class somewhere
NOT_FOLLOWED = ("room", "key", "lang", "lecture")  # address-bar settings that stay each session's own
# Pages whose members follow the lecturer's view on their own, without a tap (the lesson's steps): the same poll as
# the prompt, no more requests to the store.
FOLLOWED_ON_THEIR_OWN = ("lesson",)
FOLLOWS_MODEL = ("draw",)  # pages that show the model the lecturer chose for the room (the room's own, or the shipped)
SENT = "room_sent"  # the id of the latest view the browser heard the lecturer send, until followed or dismissed


def current_room():
    """The room this session is in, as the store has it now (hall.rooms.Room), or None."""
    return store().room(session.room()) if session.room() else None


def unreachable():
    """Say on the page that the room store does not answer (drawing goes on); the page's next poll tries again."""
    st.warning(t("room.error.Unreachable"), icon=":material/cloud_off:")


def follow_address_bar():
    """?room=CODE joins that room (an unknown or expired code says so); ?key=KEY, the lecturer's link, makes this
    session the room's lecturer and leaves the address bar, so that a projected page never shows it. A store that does
    not answer leaves the session as it was and says so."""
    try:
        join_from_address_bar()
    except Unreachable:
        unreachable()


def join_from_address_bar():
    asked = st.query_params.get("room")
    key = st.query_params.pop("key", None)
    if asked:
        code = normalise_code(asked)
        if store().room(code) is None:
            st.query_params.pop("room", None)
            if session.room() == code:
                session.leave_room()
            st.warning(t("room.unknown", code=asked), icon=":material/meeting_room:")
            return
        session.join_room(code, key if key and store().is_lecturer(code, key) else None)
    elif session.room() and current_room() is None:
        gone = session.room()
        session.leave_room()
        st.warning(t("room.unknown", code=gone), icon=":material/meeting_room:")


def keep_in_address_bar():
    """The room stays in the address bar across pages, like the language."""
    if session.room():
        st.query_params["room"] = session.room()
    else:
        st.query_params.pop("room", None)


def app_address(page_url: str, public_url: str | None, network_ip: str | None) -> tuple[str, bool]:
    """(the app's address for phones, whether the app chose it itself): public_url when set; else the address the page
    was opened at (page_url, without its /class), unless that is a loopback one (localhost, 127.0.0.1), which no
    phone can open: then the same with this machine's network address (network_ip, what Streamlit prints as
    "Network URL") in its place."""
    if public_url:
        return public_url.rstrip("/"), False
    base = page_url.removesuffix("/class").rstrip("/")
    parts = urlsplit(base)
    host = parts.hostname or "localhost"
    try:
        loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:  # a host name
        loopback = False
    if not loopback or not network_ip:
        return base, False
    port = f":{parts.port}" if parts.port else ""
    return parts._replace(netloc=f"{network_ip}{port}").geturl(), True


def address() -> tuple[str, bool]:
    """app_address of the page this session opened, with this process's environment and network address where the
    server listens on the network (Streamlit's default; one started with --server.address 127.0.0.1 does not)."""
    listening = st.get_option("server.address") in (None, "", "0.0.0.0", "::")
    network_ip = get_internal_ip() if listening else None
    return app_address(st.context.url or "http://localhost:8501", os.environ.get(PUBLIC_URL), network_ip)


def join_link(code: str, key: str | None = None) -> str:
    """The address that joins the room (on the Draw page); with the key, the lecturer's link to the Class page."""
    base, _ = address()
    return f"{base}/class?room={code}&key={key}" if key else f"{base}/?room={code}"


def qr_code(link: str) -> str:
    """The link as a QR code, a PNG data URI (segno: black on white, a quiet zone of four modules)."""
    return segno.make(link, error="m").png_data_uri(scale=10, border=4)


def room_box(page_name: str):
    """The sidebar's part: which room this session is in, leaving it, and for its lecturer the private link and the
    button that sends the class to the page shown here."""
    code = session.room()
    if not code:
        return
    st.markdown(t("room.in_room", code=code))
    st.button(t("room.leave"), on_click=leave, icon=":material/logout:")
    key = session.room_key()
    if key:
        st.button(t("room.send_here"), on_click=send_class_here, args=(page_name,), icon=":material/cast:",
                  help=t("room.send_here_help"))
        with st.expander(t("room.lecturer_link"), icon=":material/key:"):
            st.caption(t("room.lecturer_link_help"))
            st.code(join_link(code, key), language=None, wrap_lines=True)


def leave():
    session.leave_room()
    st.query_params.pop("room", None)  # else the address bar would join it again


def send_class_here(page_name: str):
    """The lecturer sends the room to this page, with this page's settings from the address bar."""
    params = {name: value for name, value in st.query_params.to_dict().items() if name not in NOT_FOLLOWED}
    try:
        send_class(page_name, params)
        st.toast(t("room.sent", page=t(f"app.page.{page_name}")), icon=":material/cast:")
    except RoomError as error:
        st.toast(room_message(error), icon=":material/error:")


def send_class(page_name: str, params: dict[str, str]):
    """Make the room's view this page with these address-bar settings (lecturer only: the store checks the key)."""
    store().set_view(session.room(), session.room_key(), {"page": page_name, "params": params, "id": time.time()})


def lead_class(page_name: str, params: dict[str, str]):
    """For a page the room follows on its own (FOLLOWED_ON_THEIR_OWN): where this session is the room's lecturer and
    the room's view is not yet this page with these settings, make it so. A refusal (a closed room) is shown."""
    try:
        room = current_room() if session.room_key() else None
        if room is None or (room.view.get("page"), room.view.get("params")) == (page_name, params):
            return
        send_class(page_name, params)
    except RoomError as error:
        st.toast(room_message(error), icon=":material/error:")


def follow_prompt(page_name: str):
    """At the top of every page of a member: where the lecturer sends the class, one tap away. The browser asks the
    room API (components/room.py); this reruns only when the lecturer has sent the class somewhere new. On a page of
    FOLLOWED_ON_THEIR_OWN that the lecturer's view is on, the page follows the view at once."""
    if not session.room() or session.room_key():
        return
    watch_model = page_name in FOLLOWS_MODEL
    try:
        shown = current_room() if watch_model else None
    except Unreachable:
        shown = None
    shown_model = shown and shown.model  # the room's own model that the page shows, or None

    @st.fragment
    def prompt():
        sent, model_changed = room_follow("room_follow", session.room(), session.followed(), FOLLOW_POLL_S,
                                          shown_model, watch_model)
        if model_changed:
            st.rerun(scope="app")  # the page runs with the model the lecturer chose for the room
        if sent is not None:
            st.session_state[SENT] = sent
        if SENT in st.session_state and st.session_state[SENT] == session.followed():
            return  # the browser has heard nothing new; before its first answer, the room is read once
        try:
            room = current_room()
        except Unreachable:
            return  # the poll says so, and tries again
        view = room.view if room else {}
        st.session_state.setdefault(SENT, view.get("id"))
        if not view or view.get("id") == session.followed():
            return
        target = view["page"]
        if target == page_name and all(st.query_params.get(k) == v for k, v in view["params"].items()):
            session.set_followed(view["id"])  # already there
            return
        if target == page_name and page_name in FOLLOWED_ON_THEIR_OWN:
            session.set_followed(view["id"])
            st.query_params.update(view["params"])
            st.rerun(scope="app")
        with st.container(border=True, key="follow"):
            st.markdown(t("room.follow_prompt", page=t(f"app.page.{target}")))
            follow, dismiss = st.columns([1, 1])
            if follow.button(t("room.follow"), type="primary", icon=":material/arrow_forward:", key="follow_go"):
                session.set_followed(view["id"])
                st.switch_page(f"webapp/views/{target}.py", query_params={**view["params"], **kept_params()})
            if dismiss.button(t("room.dismiss"), key="follow_dismiss"):
                session.set_followed(view["id"])
                st.rerun(scope="fragment")

    prompt()


def kept_params() -> dict:
    """This session's own address-bar settings, which travel with it to the lecturer's page."""
    return {name: st.query_params[name] for name in NOT_FOLLOWED if name in st.query_params and name != "key"}


def member() -> str:
    """This session's member id in its room, issued by the room the first time the session needs one there.
    Raises the room's refusal (RoomFull, NoSuchRoom, Unreachable)."""
    return session.member(session.room(), store().join)


REFUSED_WORDS = {400: "Unreachable", 403: "NotMember", 404: "NoSuchRoom", 409: "RoomFull", 413: "Unreachable",
                 429: "TooFast", 503: "Unreachable"}  # the room API's refusals, as a drawing pad says them


def drawing_room() -> dict | None:
    """What the browser needs to post into this session's room (a drawing pad each drawing, the lesson each answer):
    the room's code, this session's member id and the words of the API's refusals (by status); None outside a room.
    A room that cannot issue a member now (full, gone, a store that does not answer) says so, and the pad draws on."""
    if not session.room():
        return None
    try:
        return {"code": session.room(), "member": member(),
                "words": {status: t(f"room.error.{name}") for status, name in REFUSED_WORDS.items()}}
    except RoomError as error:
        st.toast(room_message(error), icon=":material/meeting_room:")
        return None


def room_message(error: RoomError) -> str:
    """A room's refusal in the session's language."""
    return t(f"room.error.{type(error).__name__}")


def experiment() -> str | None:
    """What the room's class experiment varies ("beta", "latent_dim", "hidden", "train_size"), or None (also while the
    store does not answer)."""
    try:
        room = current_room()
    except Unreachable:
        return None
    return room.experiment if room else None


def post_run(job, progress):
    """A member's finished training run to its room's class experiment, once: its setting and test figures."""
    posted = st.session_state.setdefault("room_runs_posted", set())
    if not session.room() or id(job) in posted or progress.status != "done" or not progress.epochs:
        return
    posted.add(id(job))
    config, last = job.config, progress.epochs[-1]
    setting = {"kind": config.kind, "beta": config.beta, "latent_dim": config.latent_dim, "hidden": config.hidden,
               "train_size": config.train_size}
    figures = {name: last[f"test_{name}"] for name in ("loss", "recon", "kl")} | {
        "active_units": last.get("active_units")}
    try:
        store().add_run(session.room(), member(), setting, figures)
    except RoomError as error:
        st.toast(room_message(error), icon=":material/hourglass:")
